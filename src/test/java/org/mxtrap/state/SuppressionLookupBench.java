package org.mxtrap.state;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;

/**
 * Measures {@link SqliteSuppressionStore#find} on a store of ENTRIES suppressions (half IPv4, half
 * IPv6 hosts, and one in 250 a shorter prefix of a random length: 16..31 for IPv4, 32..127 for
 * IPv6), and the heap the store's index takes per entry: a program, not a test. Run it with {@code
 * bench/suppression-lookup.sh [DIR] [ENTRIES]}; it writes only under a temp dir in DIR and removes
 * it. The rows are loaded in bulk ({@link SqliteSuppressionStore#putAll}), the store is reopened
 * (so the index is what a restart builds) and every lookup goes through the real {@code find}.
 */
final class SuppressionLookupBench {
  private static final Instant NOW = Instant.parse("2025-06-03T10:00:00Z");
  private static final int CHUNK = 50_000;
  private static final int LOOKUPS = 1_000_000;

  private SuppressionLookupBench() {}

  public static void main(String[] args) throws Exception {
    Path base = Path.of(args.length > 0 ? args[0] : "/var/tmp");
    int entries = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    Path root = Files.createTempDirectory(base, "suppression-bench");
    try {
      run(root.resolve("state").resolve("suppressions.sqlite"), entries);
    } finally {
      deleteTree(root);
    }
  }

  private static void run(Path file, int entries) throws Exception {
    Rows rows = new Rows(entries);
    System.out.printf(
        "JVM %s, %s, max heap %d MB%n",
        Runtime.version(),
        ManagementFactory.getGarbageCollectorMXBeans().stream()
            .map(GarbageCollectorMXBean::getName)
            .collect(Collectors.joining(" + ")),
        Runtime.getRuntime().maxMemory() >> 20);

    load(file, rows); // in a frame of its own: nothing of that store stays reachable from here
    System.out.printf(
        "  database file %,d bytes, %.0f bytes per entry%n",
        Files.size(file), Files.size(file) / (double) rows.count());

    long before = usedHeap();
    long t = System.nanoTime();
    try (SqliteSuppressionStore store = SqliteSuppressionStore.open(file)) {
      double open = seconds(t);
      long after = usedHeap();
      System.out.printf(
          "  open (reads every row into memory) %.1f s; heap %,d bytes, %.0f bytes per entry%n",
          open, after - before, (after - before) / (double) rows.count());

      Lookup[] lookups = rows.lookups(LOOKUPS);
      long active =
          Arrays.stream(lookups).filter(l -> store.find(l.address, NOW).isPresent()).count();
      System.out.printf(
          "%,d lookups: half stored hosts, half random addresses; %.1f %% find an active"
              + " suppression%n",
          lookups.length, 100.0 * active / lookups.length);

      measure(store, lookups); // warm-up: the JIT compiles find and the maps
      t = System.nanoTime();
      long found = 0;
      for (Lookup l : lookups) {
        found += store.find(l.address, NOW).isPresent() ? 1 : 0; // used, so never optimised away
      }
      System.out.printf(
          "  one thread, untimed loop: %,.0f lookups/s%n", lookups.length / seconds(t));
      if (found != active) {
        throw new AssertionError(found + " found, " + active + " before");
      }

      System.out.printf(
          "%nfind latency, microseconds    p50      p90      p99    p99.9      max%n");
      print(measure(store, lookups));
      System.out.printf("while another thread writes (offend, fsync per change):%n");
      print(measureWhileWriting(store, lookups, rows));
    }
  }

  private static void load(Path file, Rows rows) throws IOException {
    long t = System.nanoTime();
    try (SqliteSuppressionStore store = SqliteSuppressionStore.open(file)) {
      for (int from = 0; from < rows.count(); from += CHUNK) {
        store.putAll(rows.slice(from, Math.min(rows.count(), from + CHUNK)));
      }
    }
    System.out.printf(
        "%,d suppressions (%,d hosts, %,d shorter prefixes), bulk-loaded in %.1f s into %s%n",
        rows.count(), rows.hosts, rows.prefixes.size(), seconds(t), file);
  }

  /** One timed call of {@code find} per lookup; nanoseconds by kind. */
  private static long[][] measure(SqliteSuppressionStore store, Lookup[] lookups) {
    long[][] nanos = new long[Kind.values().length][];
    int[] n = new int[nanos.length];
    for (Kind k : Kind.values()) {
      nanos[k.ordinal()] = new long[lookups.length];
    }
    for (Lookup l : lookups) {
      long t = System.nanoTime();
      store.find(l.address, NOW);
      long d = System.nanoTime() - t;
      nanos[l.kind.ordinal()][n[l.kind.ordinal()]++] = d;
    }
    for (Kind k : Kind.values()) {
      nanos[k.ordinal()] = Arrays.copyOf(nanos[k.ordinal()], n[k.ordinal()]);
    }
    return nanos;
  }

  private static long[][] measureWhileWriting(
      SqliteSuppressionStore store, Lookup[] lookups, Rows rows) throws InterruptedException {
    AtomicBoolean done = new AtomicBoolean();
    AtomicLong writes = new AtomicLong();
    Thread writer =
        Thread.ofPlatform()
            .start(
                () -> {
                  SplittableRandom random = new SplittableRandom(7);
                  while (!done.get()) {
                    Cidr host = Cidr.of(rows.host(random.nextInt(rows.hosts)), 128);
                    store.offend(
                        host, NOW, Duration.ofHours(24), Duration.ofDays(30), "mx-skip", "bench");
                    writes.incrementAndGet();
                  }
                });
    long t = System.nanoTime();
    long[][] nanos = measure(store, lookups);
    double elapsed = seconds(t);
    done.set(true);
    writer.join();
    System.out.printf(
        "  (%d changes written during the %.1f s of lookups)%n", writes.get(), elapsed);
    return nanos;
  }

  private static void print(long[][] nanos) {
    long[] all = Arrays.stream(nanos).flatMapToLong(Arrays::stream).toArray();
    for (Kind k : Kind.values()) {
      row("  " + k.label, nanos[k.ordinal()]);
    }
    row("  all", all);
  }

  private static void row(String label, long[] nanos) {
    Arrays.sort(nanos);
    System.out.printf(
        "%-28s %8.2f %8.2f %8.2f %8.2f %8.1f%n",
        label,
        percentile(nanos, 50),
        percentile(nanos, 90),
        percentile(nanos, 99),
        percentile(nanos, 99.9),
        nanos[nanos.length - 1] / 1e3);
  }

  private static double percentile(long[] sorted, double p) {
    int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, i)] / 1e3;
  }

  private static long usedHeap() throws InterruptedException {
    Runtime r = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return r.totalMemory() - r.freeMemory();
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static void deleteTree(Path root) throws IOException {
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private enum Kind {
    V4_STORED("IPv4, stored host"),
    V4_RANDOM("IPv4, random"),
    V6_STORED("IPv6, stored host"),
    V6_RANDOM("IPv6, random");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  private record Lookup(InetAddress address, Kind kind) {}

  /**
   * The rows, made again from their index rather than kept: host {@code i} is IPv4 for even {@code
   * i}, IPv6 for odd, its address a bijection of {@code i} (so no two collide) that looks random.
   * The rest are the shorter prefixes.
   */
  private static final class Rows {
    private static final String[] REASONS = {"mx-skip", "mx-skip", "mx-skip", "early-talker"};
    final int hosts;
    final List<Cidr> prefixes;

    Rows(int entries) {
      int wanted = entries / 250;
      SplittableRandom random = new SplittableRandom(42);
      Set<Cidr> p = new HashSet<>();
      while (p.size() < wanted) {
        p.add(
            random.nextBoolean()
                ? Cidr.of(v4(random.nextLong()), 16 + random.nextInt(16))
                : Cidr.of(v6(random.nextLong(), random.nextLong()), 32 + random.nextInt(96)));
      }
      this.prefixes = new ArrayList<>(p);
      this.hosts = entries - prefixes.size();
    }

    int count() {
      return hosts + prefixes.size();
    }

    InetAddress host(int i) {
      return i % 2 == 0 ? v4(mix32(i) & 0xffff_ffffL) : v6(mix64(~i), mix64(i));
    }

    /** MurmurHash3's finalizers: bijections, so distinct {@code i} give distinct addresses. */
    private static int mix32(int h) {
      h ^= h >>> 16;
      h *= 0x85ebca6b;
      h ^= h >>> 13;
      h *= 0xc2b2ae35;
      return h ^ (h >>> 16);
    }

    private static long mix64(long h) {
      h ^= h >>> 33;
      h *= 0xff51afd7ed558ccdL;
      h ^= h >>> 33;
      h *= 0xc4ceb9fe1a85ec53L;
      return h ^ (h >>> 33);
    }

    List<Suppression> slice(int from, int to) {
      List<Suppression> out = new ArrayList<>(to - from);
      for (int i = from; i < to; i++) {
        Cidr prefix = i < hosts ? Cidr.of(host(i), 128) : prefixes.get(i - hosts);
        // 1 h .. 512 h, begun up to 1.25 durations ago: about four in five still active
        Duration d = Duration.ofHours(1L << (i % 10));
        Instant since =
            NOW.minusSeconds((long) (d.toSeconds() * 1.25 * ((i * 7919L) % 1000) / 1000));
        out.add(
            new Suppression(
                prefix,
                since,
                since.plus(d),
                REASONS[i % REASONS.length],
                1 + i % 5,
                "no contact below preference 30 from "
                    + prefix
                    + " within 24h; trap mx2.example.com:25 [192.0.2.30]"));
      }
      return out;
    }

    Lookup[] lookups(int n) {
      SplittableRandom random = new SplittableRandom(4242);
      Lookup[] out = new Lookup[n];
      for (int i = 0; i < n; i++) {
        boolean v4 = random.nextBoolean();
        if (random.nextBoolean()) {
          int h = random.nextInt(hosts / 2) * 2 + (v4 ? 0 : 1);
          out[i] = new Lookup(host(h), v4 ? Kind.V4_STORED : Kind.V6_STORED);
        } else {
          out[i] =
              v4
                  ? new Lookup(v4(random.nextLong()), Kind.V4_RANDOM)
                  : new Lookup(v6(random.nextLong(), random.nextLong()), Kind.V6_RANDOM);
        }
      }
      return out;
    }

    private static InetAddress v4(long bits) {
      return Addresses.byAddress(
          new byte[] {
            (byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits
          });
    }

    /** An address in 2000::/3, where global unicast lives. */
    private static InetAddress v6(long high, long low) {
      long h = 0x2000_0000_0000_0000L | (high & 0x1fff_ffff_ffff_ffffL);
      byte[] b = new byte[16];
      for (int i = 0; i < 8; i++) {
        b[i] = (byte) (h >>> (56 - 8 * i));
        b[8 + i] = (byte) (low >>> (56 - 8 * i));
      }
      return Addresses.byAddress(b);
    }
  }
}
