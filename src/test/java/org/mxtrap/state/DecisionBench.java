package org.mxtrap.state;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.mxtrap.config.DnsblSettings;
import org.mxtrap.config.StateSettings;
import org.mxtrap.config.SuppressSettings;
import org.mxtrap.config.TrapSettings;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.core.Verdict;
import org.mxtrap.dns.Dnsbl;
import org.mxtrap.it.LoopbackCluster;
import org.mxtrap.it.LoopbackRedis;
import org.mxtrap.observe.Events;
import org.mxtrap.policy.Arming;
import org.mxtrap.policy.TrapEngine;
import org.mxtrap.state.redis.RedisState;
import org.mxtrap.testing.FakeDns;

/**
 * Connection decisions ({@link TrapEngine#connect}) with the embedded store and with the shared
 * Redis store side by side, on one redis-server and on a Redis Cluster of three masters,
 * SUPPRESSIONS suppressions loaded into each: a program, not a test. Run it with {@code
 * bench/decisions.sh [DIR] [SUPPRESSIONS]}; it starts its own redis-server and cluster on free
 * loopback ports, one after the other, stops them by PID, and writes only under a temp dir in DIR.
 *
 * <p>The mix, per ten decisions: one client that is suppressed (a lookup that finds it), and nine
 * that are not, most at the primary (a contact recorded and the suppressions looked up) and one in
 * four at a trap right after its own contact at the primary (the fallback path: the contact history
 * is read, from Redis in the shared store). Every decision is a new client. Latency is one
 * thread's, call by call; throughput is {@link #THREADS} virtual threads'. DNSBL and reverse names
 * are off.
 */
final class DecisionBench {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final int CHUNK = 50_000;

  /** Room for every client of a run: no eviction is measured. */
  private static final int CONTACTS = 4_000_000;

  private static final int DECISIONS = 200_000;

  private static final Duration REDIS_TIMEOUT = Duration.ofSeconds(2);

  /** Sessions deciding at once for the throughput figure, as a busy host's greetings are. */
  private static final int THREADS = 64;

  private DecisionBench() {}

  /** One store's three parts, and what closes them. */
  private record Stores(
      String name,
      SuppressionStore suppressions,
      ContactHistory contacts,
      AvailabilityHistory availability,
      AutoCloseable more) {}

  public static void main(String[] args) throws Exception {
    Path base = Path.of(args.length > 0 ? args[0] : "/var/tmp");
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    Path root = Files.createTempDirectory(base, "decision-bench");
    LayoutEntry primary =
        new LayoutEntry(10, "mail.example.test", ip("127.0.0.10"), 25, Role.PRIMARY);
    LayoutEntry trap = new LayoutEntry(30, "mx3.example.test", ip("127.0.0.30"), 25, Role.TRAP);
    Layout layout = new Layout(List.of(primary, trap));
    TrapSettings settings = TrapSettings.DEFAULTS;
    Instant now = T0.plus(settings.armAfter()).plusSeconds(3600);
    System.out.printf(
        "JVM %s, %d suppressions per store, %d measured decisions%n",
        Runtime.version(), n, DECISIONS);
    List<String> lines = new ArrayList<>();
    try {
      for (String kind : new String[] {"local", "redis", "cluster"}) {
        Stores s = open(kind, root, layout, settings, n);
        try {
          lines.add(run(s, layout, settings, now, n));
        } finally {
          s.suppressions().close();
          s.availability().close();
          s.more().close();
        }
      }
    } finally {
      deleteTree(root);
    }
    System.out.printf(
        "%nstore    decisions/s (64 threads)  latency (1 thread), microseconds:"
            + " p50     p90     p99   p99.9     max%n");
    lines.forEach(System.out::println);
  }

  /**
   * The stores of {@code kind}: {@code local} (embedded), {@code redis} (a redis-server of its own)
   * or {@code cluster} (a Redis Cluster of three masters of its own), with {@code n} suppressions.
   * Closing {@link Stores#more} stops the servers.
   */
  private static Stores open(String kind, Path root, Layout layout, TrapSettings t, int n)
      throws Exception {
    int[] prefs = layout.entries().stream().mapToInt(LayoutEntry::preference).toArray();
    long start = System.nanoTime();
    Stores s;
    if (kind.equals("local")) {
      Path dir = Files.createDirectories(root.resolve("state"));
      SqliteSuppressionStore sup = SqliteSuppressionStore.open(dir.resolve("suppressions.sqlite"));
      for (int from = 0; from < n; from += CHUNK) {
        List<Suppression> rows = new ArrayList<>();
        for (int i = from; i < Math.min(n, from + CHUNK); i++) {
          rows.add(row(i));
        }
        sup.putAll(rows);
      }
      s =
          new Stores(
              kind,
              sup,
              new BoundedContactHistory(32, 128, CONTACTS, t.window(), prefs),
              FileAvailabilityHistory.open(dir, layout, T0, t.armAfter()),
              () -> {});
    } else {
      Path dir = Files.createDirectories(root.resolve(kind));
      AutoCloseable server = null;
      try {
        RedisState state;
        if (kind.equals("redis")) {
          LoopbackRedis redis = LoopbackRedis.start(dir);
          server = redis;
          state = RedisState.open(redis.url(), null, "bench:", REDIS_TIMEOUT);
        } else {
          LoopbackCluster cluster = LoopbackCluster.start(dir);
          server = cluster;
          state = RedisState.openCluster(cluster.nodes(), null, "bench:", REDIS_TIMEOUT);
        }
        SuppressionStore sup = state.suppressions(Duration.ofMinutes(10), Clock.systemUTC());
        load(sup, n);
        AutoCloseable stop = server;
        s =
            new Stores(
                kind,
                sup,
                state.contacts(32, 128, CONTACTS, t.window(), prefs),
                state.availability(layout, Set.of(), T0, t.armAfter()),
                () -> {
                  try (stop) {
                    state.close();
                  }
                });
      } catch (Exception e) {
        if (server != null) {
          server.close();
        }
        throw e;
      }
    }
    for (LayoutEntry e : layout.entries()) {
      s.availability().up(e, T0);
    }
    System.out.printf(
        "%s: %d suppressions loaded in %.1f s%n", kind, n, (System.nanoTime() - start) / 1e9);
    return s;
  }

  /** Through the store's own add, 64 at a time: what a busy site's hosts write. */
  private static void load(SuppressionStore store, int n) throws Exception {
    Semaphore inFlight = new Semaphore(64);
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        inFlight.acquire();
        Suppression r = row(i);
        done.add(
            ex.submit(
                () -> {
                  try {
                    store.add(
                        r.prefix(),
                        r.since(),
                        Duration.between(r.since(), r.until()),
                        r.reason(),
                        r.evidence());
                  } finally {
                    inFlight.release();
                  }
                }));
        if (done.size() > 10_000) {
          for (Future<?> f : done) {
            f.get();
          }
          done.clear();
        }
      }
      for (Future<?> f : done) {
        f.get();
      }
    }
  }

  /** The {@code i}th suppression: a host in 11.0.0.0/8, suppressed for a day from T0. */
  private static Suppression row(int i) {
    return new Suppression(
        Cidr.of(v4(0x0B00_0000L + i), 32), T0, T0.plus(Duration.ofDays(1)), "mx-skip", 1, "bench");
  }

  private static String run(Stores s, Layout layout, TrapSettings t, Instant now, int n)
      throws Exception {
    TrapEngine engine =
        new TrapEngine(
            new TrapEngine.Rules(
                t,
                SuppressSettings.DEFAULTS,
                List.of(),
                List.of(),
                List.of(),
                StateSettings.OnOutage.OPEN,
                List.of()),
            s.contacts(),
            s.suppressions(),
            new Arming(layout, s.availability(), t.armAfter()),
            new Dnsbl(
                new FakeDns(), DnsblSettings.NONE, Clock.fixed(now, ZoneOffset.UTC), Events.NONE),
            null,
            StateView.WHOLE,
            new BoundedIdentityHistory(1_000, t.window()),
            null,
            Events.NONE);
    LayoutEntry primary = layout.entries().get(0);
    LayoutEntry trap = layout.entries().get(1);
    decide(engine, primary, trap, now, 0, 50_000, n, null); // warm-up: the JIT, the connections
    long[] latency = new long[DECISIONS];
    decide(engine, primary, trap, now, 50_000, DECISIONS, n, latency);
    Arrays.sort(latency);
    int each = 4 * DECISIONS / THREADS;
    long start = System.nanoTime();
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> parts = new ArrayList<>();
      for (int k = 0; k < THREADS; k++) {
        int from = 1_000_000 + k * each;
        parts.add(ex.submit(() -> decide(engine, primary, trap, now, from, each, n, null)));
      }
      for (Future<?> f : parts) {
        f.get();
      }
    }
    double perSecond = THREADS * (double) each / ((System.nanoTime() - start) / 1e9);
    return String.format(
        Locale.ROOT,
        "%-7s %,25.0f   %36.1f %7.1f %7.1f %7.1f %7.1f",
        s.name(),
        perSecond,
        latency[latency.length / 2] / 1e3,
        latency[(int) (latency.length * 0.9)] / 1e3,
        latency[(int) (latency.length * 0.99)] / 1e3,
        latency[(int) (latency.length * 0.999)] / 1e3,
        latency[latency.length - 1] / 1e3);
  }

  /**
   * {@code count} decisions of the mix, clients numbered from {@code from}; each one's time in
   * {@code latency} when given.
   */
  private static Void decide(
      TrapEngine engine,
      LayoutEntry primary,
      LayoutEntry trap,
      Instant now,
      int from,
      int count,
      int suppressed,
      long[] latency) {
    for (int i = 0; i < count; i++) {
      int c = from + i;
      InetAddress client;
      LayoutEntry entry;
      if (i % 10 == 0) {
        client = v4(0x0B00_0000L + (c % suppressed));
        entry = primary;
      } else if (i % 4 == 2) { // i - 1 is odd: a fresh client at the primary
        client = v4(0x0C00_0000L + c - 1); // the client of the decision before, at the primary
        entry = trap;
      } else {
        client = v4(0x0C00_0000L + c);
        entry = primary;
      }
      long t = System.nanoTime();
      Verdict v = engine.connect(new Contact(client, entry.socketAddress(), entry, now)).verdict();
      if (latency != null) {
        latency[i] = System.nanoTime() - t;
      }
      if (v == Verdict.MX_SKIP) {
        throw new AssertionError("a trap contact without its lower one: " + client);
      }
    }
    return null;
  }

  private static InetAddress ip(String text) {
    return Addresses.parse(text).orElseThrow();
  }

  private static InetAddress v4(long a) {
    return Addresses.byAddress(
        new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a});
  }

  private static void deleteTree(Path root) throws Exception {
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted((x, y) -> y.getNameCount() - x.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
