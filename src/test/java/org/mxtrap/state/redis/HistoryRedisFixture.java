package org.mxtrap.state.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.mxtrap.it.LoopbackRedis;

/**
 * A private redis-server and a connection to it, for the history tests; each test takes a key
 * prefix of its own, so the tests of a class share one server without seeing each other's keys.
 */
final class HistoryRedisFixture implements AutoCloseable {
  /** The deadline the histories are given: the greeting budget's order of magnitude. */
  static final Duration TIMEOUT = Duration.ofMillis(300);

  private static final AtomicInteger prefixes = new AtomicInteger();

  final LoopbackRedis server;
  final RedisClient client;
  final StatefulRedisConnection<String, String> connection;

  private HistoryRedisFixture(LoopbackRedis server) {
    this.server = server;
    this.client = RedisClient.create(server.url());
    // What HistoryRedis asks of its connection: fail at once while disconnected, never queue.
    client.setOptions(
        ClientOptions.builder()
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .build());
    this.connection = client.connect();
  }

  static HistoryRedisFixture start(Path dir) throws Exception {
    LoopbackRedis server = LoopbackRedis.start(dir);
    try {
      return new HistoryRedisFixture(server);
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /** A key prefix no other test of this JVM uses. */
  /** A fresh {@link Reachability}: the view of one test host. */
  static Reachability reach() {
    return new Reachability("redis (test)", java.time.Clock.systemUTC());
  }

  static String prefix() {
    return "test" + prefixes.incrementAndGet() + ":";
  }

  /** Polls {@code condition} until it holds, failing after {@code limit}. */
  static void await(Duration limit, BooleanSupplier condition) throws InterruptedException {
    Instant deadline = Instant.now().plus(limit);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("condition not met within " + limit);
      }
      Thread.sleep(20); // a poll interval, not an ordering sleep
    }
  }

  @Override
  public void close() throws InterruptedException {
    try {
      connection.close();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    } finally {
      server.close();
    }
  }
}
