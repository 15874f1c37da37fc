package org.mxtrap.state.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Layout;
import org.mxtrap.state.AvailabilityHistory;
import org.mxtrap.state.ContactHistory;
import org.mxtrap.state.SuppressionStore;

/**
 * This host's part of the site's shared state ({@code state.store: redis}): one client to the
 * Redis, made once, and the three stores on it under one key prefix. Every command and every
 * connection attempt has {@code timeout}; commands are refused at once while disconnected rather
 * than queued (a Redis that is away costs a caller nothing but an exception); reconnects back off
 * from 10 ms to 1 s. The password (from {@code state.redis.password_file}) goes into the client,
 * never into a message: {@link #server()} names host and port only.
 *
 * <p>Open the stores with {@link #suppressions}, {@link #contacts} and {@link #availability}, and
 * close them before this. Thread-safe.
 */
public final class RedisState implements AutoCloseable {
  private final String keyPrefix;
  private final String server;
  private final Duration timeout;
  private final ClientResources resources;
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> shared;
  private volatile @Nullable RedisSuppressionStore suppressions;

  private RedisState(
      String keyPrefix,
      String server,
      Duration timeout,
      ClientResources resources,
      RedisClient client) {
    this.keyPrefix = keyPrefix;
    this.server = server;
    this.timeout = timeout;
    this.resources = resources;
    this.client = client;
    this.shared = client.connect();
  }

  /**
   * Connects to {@code url} ({@code redis://HOST:PORT[/DB]} or {@code rediss://}).
   *
   * @param password Redis's password (AUTH), or null
   * @param keyPrefix the start of every key and channel of this site: {@code mxtrap:}
   * @param timeout the deadline of every command and connection attempt; keep it well under the
   *     greeting budget
   * @throws io.lettuce.core.RedisException when Redis cannot be reached within {@code timeout}
   */
  public static RedisState open(
      String url, @Nullable String password, String keyPrefix, Duration timeout) {
    RedisURI.Builder b = RedisURI.builder(RedisURI.create(url)).withTimeout(timeout);
    if (password != null) {
      b.withPassword(password.toCharArray());
    }
    RedisURI uri = b.build();
    String server = "redis " + uri.getHost() + ":" + uri.getPort();
    ClientResources resources =
        ClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
            .build();
    RedisClient client = RedisClient.create(resources, uri);
    client.setOptions(
        ClientOptions.builder()
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .build());
    try {
      return new RedisState(keyPrefix, server, timeout, resources, client);
    } catch (RuntimeException e) {
      shutdown(client, resources, timeout);
      throw e;
    }
  }

  /** {@code redis HOST:PORT}, for messages: never the password. */
  public String server() {
    return server;
  }

  /** The deadline of every command. */
  public Duration timeout() {
    return timeout;
  }

  /** The client, for a store that needs connections of its own (pub/sub). */
  RedisClient client() {
    return client;
  }

  /** One connection shared by the histories (Lettuce connections are thread-safe). */
  RedisClusterAsyncCommands<String, String> commands() {
    return shared.async();
  }

  String keyPrefix() {
    return keyPrefix;
  }

  /**
   * The shared suppressions ({@link RedisSuppressionStore}).
   *
   * @param resyncEvery how often the local mirror is compared with Redis in full
   * @throws IOException when Redis cannot be read within the deadline
   */
  public SuppressionStore suppressions(Duration resyncEvery, Clock clock) throws IOException {
    RedisSuppressionStore s = RedisSuppressionStore.open(this, resyncEvery, clock);
    suppressions = s;
    return s;
  }

  /**
   * One line for {@code mxtrap status}: the server, whether it answers a PING now (and how fast),
   * and when the mirrored suppressions were last compared with it in full.
   */
  public String describe(Instant now) {
    StringBuilder b = new StringBuilder("redis ").append(server.substring("redis ".length()));
    b.append(" key_prefix=").append(keyPrefix).append(": ");
    long start = System.nanoTime();
    try {
      shared.sync().ping();
      b.append(
          String.format(
              Locale.ROOT, "answering (PING %.1f ms)", (System.nanoTime() - start) / 1e6));
    } catch (RuntimeException e) {
      b.append("NOT answering (").append(e.getMessage()).append("): serving on local knowledge");
    }
    RedisSuppressionStore s = suppressions;
    Instant resync = s == null ? null : s.lastResync();
    if (resync != null) {
      b.append("; suppressions resynced ")
          .append(Duration.between(resync, now).toSeconds())
          .append(" s ago, changes by pub/sub");
    }
    return b.toString();
  }

  /** The shared contact history ({@link RedisContactHistory}; parameters as there). */
  public ContactHistory contacts(
      int excusePrefixV4, int excusePrefixV6, int capacity, Duration window, int... preferences) {
    return new RedisContactHistory(
        commands(),
        timeout,
        keyPrefix,
        excusePrefixV4,
        excusePrefixV6,
        capacity,
        window,
        preferences);
  }

  /** The shared availability history ({@link RedisAvailabilityHistory#open}). */
  public AvailabilityHistory availability(Layout layout, Instant now, Duration retain) {
    return RedisAvailabilityHistory.open(commands(), timeout, keyPrefix, layout, now, retain);
  }

  @Override
  public void close() {
    try {
      shared.close();
    } finally {
      shutdown(client, resources, timeout);
    }
  }

  private static void shutdown(RedisClient client, ClientResources resources, Duration timeout) {
    client.shutdown(Duration.ZERO, timeout);
    resources.shutdown(0, timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
