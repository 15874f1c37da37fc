package org.mxtrap.state.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.mxtrap.core.Cidr;
import org.mxtrap.it.LoopbackRedis;

/**
 * Measures what a suppression costs in Redis: {@code INFO memory} used_memory before and after
 * loading SUPPRESSIONS host suppressions (/32, an mx-skip with a 30-character evidence) through
 * {@link RedisSuppressionStore}, on a private redis-server. A program, not a test; the result is in
 * the store's class comment. Run it with {@code . scripts/java-env.sh && mxtrap_run_bench_main ""
 * org.mxtrap.state.redis.RedisSuppressionMemory [SUPPRESSIONS (default 100000)]}.
 */
final class RedisSuppressionMemory {
  private RedisSuppressionMemory() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    Path dir = Files.createTempDirectory("redis-memory");
    try (LoopbackRedis redis = LoopbackRedis.start(dir)) {
      RedisClient client = RedisClient.create(redis.url());
      try (StatefulRedisConnection<String, String> raw = client.connect();
          RedisState connections =
              RedisState.open(redis.url(), null, "mxtrap:", Duration.ofSeconds(5));
          RedisSuppressionStore store =
              RedisSuppressionStore.open(connections, Duration.ofHours(1), Clock.systemUTC())) {
        long before = usedMemory(raw);
        load(store, n);
        long after = usedMemory(raw);
        System.out.printf(
            "%d suppressions: used_memory %d -> %d bytes, %d bytes per suppression%n",
            raw.sync().dbsize(), before, after, (after - before) / n);
      } finally {
        client.shutdown();
      }
    }
  }

  /** Hosts 10.0.0.0, 10.0.0.1, ..., 256 offences in flight over the store's one connection. */
  private static void load(RedisSuppressionStore store, int n) throws Exception {
    Instant now = Instant.now();
    Semaphore inFlight = new Semaphore(256);
    List<Future<?>> all = new ArrayList<>(n);
    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < n; i++) {
        int host = 0x0a000000 + i;
        Cidr prefix =
            Cidr.parse(
                (host >>> 24)
                    + "."
                    + (host >>> 16 & 255)
                    + "."
                    + (host >>> 8 & 255)
                    + "."
                    + (host & 255));
        inFlight.acquire();
        all.add(
            executor.submit(
                () -> {
                  try {
                    return store.offend(
                        prefix,
                        now,
                        Duration.ofHours(1),
                        Duration.ofDays(1),
                        "mx-skip",
                        "trap 30 (MX 30) without MX 10");
                  } finally {
                    inFlight.release();
                  }
                }));
      }
      for (Future<?> f : all) {
        f.get();
      }
    }
  }

  private static long usedMemory(StatefulRedisConnection<String, String> raw) {
    return raw.sync()
        .info("memory")
        .lines()
        .filter(l -> l.startsWith("used_memory:"))
        .map(l -> Long.parseLong(l.substring("used_memory:".length()).trim()))
        .findFirst()
        .orElseThrow();
  }
}
