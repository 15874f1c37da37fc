package org.mxtrap.state;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;
import org.mxtrap.core.Addresses;

/**
 * Measures {@link BoundedContactHistory} at a million networks: heap bytes per network, and the
 * latency of {@code record} and {@code lastBelow} one call at a time after warm-up, for networks
 * held (hits) and not held (misses). A program, not a test. Run it with {@code
 * bench/contact-history.sh [NETWORKS] [SAMPLES]}.
 *
 * <p>Networks are single addresses (prefixes /32 and /128; an entry's size does not depend on the
 * prefix), every other one IPv6, each recorded once at the lowest of four preferences. The capacity
 * is exactly NETWORKS, so the fullest shards evict a few of the first networks while loading, and
 * recording a new network at the end evicts one. Hits probe networks at random among the last 90 %
 * loaded (all still held), so lookups pay the cache misses of a large heap as a server's would.
 */
final class ContactHistoryBench {
  private static final Duration WINDOW = Duration.ofDays(1);
  private static final int[] LAYOUT = {10, 20, 30, 40};
  private static final Instant T0 = Instant.parse("2025-06-03T10:00:00Z");

  private ContactHistoryBench() {}

  public static void main(String[] args) throws Exception {
    int networks = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int samples = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
    printJvm();

    warmUp(samples);

    SplittableRandom random = new SplittableRandom(42);
    InetAddress[] held = new InetAddress[samples];
    InetAddress[] unknown = new InetAddress[samples];
    for (int i = 0; i < samples; i++) {
      held[i] = address(networks / 10 + random.nextInt(networks - networks / 10));
      unknown[i] = address(networks + i);
    }

    long heapBefore = usedHeap();
    var history = new BoundedContactHistory(32, 128, networks, WINDOW, LAYOUT);
    long t = System.nanoTime();
    for (int i = 0; i < networks; i++) {
      history.record(address(i), 10, T0.plusMillis(i));
    }
    double loadSeconds = (System.nanoTime() - t) / 1e9;
    long heapAfter = usedHeap();
    int size = history.size();
    System.out.printf(
        "loaded %,d networks (half IPv4, half IPv6) in %.2f s; %,d held, %,d evicted%n",
        networks, loadSeconds, size, history.evictions());
    System.out.printf(
        "heap: %,d bytes more after loading = %.1f bytes per network%n%n",
        heapAfter - heapBefore, (heapAfter - heapBefore) / (double) size);

    Instant since = T0.minusSeconds(3600);
    Instant later = T0.plusSeconds(86_400);
    long[] hits = {0};
    System.out.printf(
        "%-36s %9s %9s %9s %9s %9s%n",
        "latency, µs (one call)", "p50", "p90", "p99", "p99.9", "max");
    row("timer alone (System.nanoTime x2)", samples, i -> {});
    row(
        "lastBelow, network held (hit)",
        samples,
        i -> hits[0] += count(history.lastBelow(held[i], 30, since)));
    row(
        "lastBelow, network not held (miss)",
        samples,
        i -> hits[0] += count(history.lastBelow(unknown[i], 30, since)));
    if (hits[0] != samples) {
      throw new AssertionError(hits[0] + " hits for " + samples + " held networks");
    }
    row("record, network held", samples, i -> history.record(held[i], 20, later));
    long evictionsBefore = history.evictions();
    row("record, new network (at capacity)", samples, i -> history.record(unknown[i], 20, later));
    long evicted = history.evictions() - evictionsBefore;
    System.out.printf(
        "(the new networks evicted %,d; %,d networks held of a capacity of %,d)%n",
        evicted, history.size(), networks);
    if (history.size() > networks || history.size() + evicted != size + samples) {
      throw new AssertionError("capacity exceeded or networks lost");
    }

    t = System.nanoTime();
    int pruned = history.prune(T0.minusSeconds(1)); // scans all, drops none
    System.out.printf(
        "%nprune, a full scan of %,d networks dropping none: %.1f ms%n",
        history.size(), (System.nanoTime() - t) / 1e6);
    if (pruned != 0) {
      throw new AssertionError(pruned + " pruned");
    }
  }

  /** The JIT's profile without disturbing the measured history: the same calls on another one. */
  private static void warmUp(int samples) {
    var history = new BoundedContactHistory(32, 128, 50_000, WINDOW, LAYOUT);
    for (int round = 0; round < 5; round++) {
      for (int i = 0; i < samples; i++) {
        history.record(address(i), LAYOUT[i % 2], T0.plusMillis(i));
        history.lastBelow(address(i / 2), 30, T0);
        history.lastBelow(address(i + samples), 30, T0);
      }
    }
  }

  /** Network {@code i}: even ones 10.x.y.z, odd ones 2001:db8::/32 addresses; all distinct. */
  static InetAddress address(int i) {
    if (i % 2 == 0) {
      return Addresses.byAddress(ByteBuffer.allocate(4).putInt(0x0a000000 + i / 2).array());
    }
    long high = 0x20010db800000000L | ((i * 0x9e3779b9L) & 0xffffffffL);
    return Addresses.byAddress(ByteBuffer.allocate(16).putLong(high).putLong(i).array());
  }

  private static int count(Optional<Instant> found) {
    return found.isPresent() ? 1 : 0;
  }

  private static void row(String label, int samples, IntConsumer call) {
    long[] nanos = new long[samples];
    for (int i = 0; i < samples; i++) {
      long start = System.nanoTime();
      call.accept(i);
      nanos[i] = System.nanoTime() - start;
    }
    Arrays.sort(nanos);
    System.out.printf(
        "%-36s %9.2f %9.2f %9.2f %9.2f %9.2f%n",
        label,
        at(nanos, 0.50),
        at(nanos, 0.90),
        at(nanos, 0.99),
        at(nanos, 0.999),
        nanos[samples - 1] / 1e3);
  }

  /** The {@code q} quantile of sorted nanoseconds, in microseconds. */
  private static double at(long[] sorted, double q) {
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] / 1e3;
  }

  private static long usedHeap() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
      used = Math.min(used, rt.totalMemory() - rt.freeMemory());
    }
    return used;
  }

  private static void printJvm() {
    var hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    StringBuilder flags = new StringBuilder();
    for (String flag : new String[] {"UseCompressedOops", "UseCompactObjectHeaders"}) {
      try {
        flags.append(' ').append(flag).append('=').append(hotspot.getVMOption(flag).getValue());
      } catch (IllegalArgumentException e) { // no such flag on this JVM
        flags.append(' ').append(flag).append("=n/a");
      }
    }
    String gcs =
        ManagementFactory.getGarbageCollectorMXBeans().stream()
            .map(GarbageCollectorMXBean::getName)
            .collect(Collectors.joining(", "));
    System.out.printf(
        "java %s, %d CPUs, max heap %d MB, GC %s,%s%n%n",
        Runtime.version(),
        Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20,
        gcs,
        flags);
  }
}
