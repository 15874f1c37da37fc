package org.mxtrap.state.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Layout;
import org.mxtrap.state.AvailabilityHistory;
import org.mxtrap.state.ContactHistory;
import org.mxtrap.state.SuppressionStore;

/**
 * This host's part of the site's shared state ({@code state.store: redis}): one client to the Redis
 * (one server, or the master that Redis Sentinel names), made once, and the three stores on it
 * under one key prefix. Every command and every connection attempt has {@code timeout}; commands
 * are refused at once while disconnected rather than queued (a Redis that is away costs a caller
 * nothing but an exception); reconnects back off from 10 ms to 1 s. The password (from {@code
 * state.redis.password_file}) goes into the client, never into a message: {@link #server()} names
 * host and port (or the Sentinels) only.
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
  private final boolean viaSentinels;
  private final StatefulRedisConnection<String, String> shared;
  private volatile @Nullable RedisSuppressionStore suppressions;
  private volatile @Nullable SocketAddress master; // where a data connection last connected to

  private RedisState(
      String keyPrefix,
      String server,
      Duration timeout,
      ClientResources resources,
      RedisClient client,
      boolean viaSentinels) {
    this.keyPrefix = keyPrefix;
    this.server = server;
    this.timeout = timeout;
    this.resources = resources;
    this.client = client;
    this.viaSentinels = viaSentinels;
    client.addListener(
        new RedisConnectionStateListener() {
          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> c, SocketAddress address) {
            if (!(c instanceof StatefulRedisSentinelConnection)) {
              master = address;
            }
          }
        });
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
    RedisURI.Builder b = RedisURI.builder(RedisURI.create(url));
    RedisURI uri = withPassword(b, password).withTimeout(timeout).build();
    String server = "redis " + hostPort(uri.getHost(), uri.getPort());
    return open(uri, server, keyPrefix, timeout, false);
  }

  /**
   * Connects to the master that the Sentinels {@code nodes} know as {@code master}, and follows it
   * through a failover: every connection (the stores' own and their subscription too) asks the
   * Sentinels again where the master is each time it reconnects, trying them in the order given
   * (SENTINEL GET-MASTER-ADDR-BY-NAME). A failover therefore costs a reconnect: commands fail at
   * once from the moment the old master goes away until the Sentinels have promoted a replica and
   * the connection has found it (the Sentinels' {@code down-after-milliseconds} plus the election,
   * then at most one reconnect delay). A master demoted while still up is no trap either: the
   * Sentinels close every client connection of an instance they reconfigure, so the client
   * reconnects and asks. Database 0.
   *
   * @param nodes the Sentinels; a host name is looked up at each connection
   * @param password the Redis servers' password (AUTH), or null; the Sentinels are asked without
   *     one
   * @param keyPrefix as {@link #open(String, String, String, Duration)}
   * @param timeout the deadline of every command, of every connection attempt and of the question
   *     to the Sentinels
   * @throws io.lettuce.core.RedisException when no Sentinel names a master that can be reached
   *     within {@code timeout}
   */
  public static RedisState openSentinel(
      String master,
      List<InetSocketAddress> nodes,
      @Nullable String password,
      String keyPrefix,
      Duration timeout) {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("no Sentinel to ask for " + master);
    }
    RedisURI.Builder b =
        RedisURI.Builder.sentinel(nodes.getFirst().getHostString(), nodes.getFirst().getPort());
    for (InetSocketAddress n : nodes.subList(1, nodes.size())) {
      b.withSentinel(n.getHostString(), n.getPort());
    }
    RedisURI uri =
        withPassword(b.withSentinelMasterId(master), password).withTimeout(timeout).build();
    String sentinels =
        String.join(
            ",", nodes.stream().map(n -> hostPort(n.getHostString(), n.getPort())).toList());
    return open(uri, "redis sentinel " + master + " (" + sentinels + ")", keyPrefix, timeout, true);
  }

  private static RedisURI.Builder withPassword(RedisURI.Builder b, @Nullable String password) {
    return password == null ? b : b.withPassword(password.toCharArray());
  }

  private static RedisState open(
      RedisURI uri, String server, String keyPrefix, Duration timeout, boolean viaSentinels) {
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
      return new RedisState(keyPrefix, server, timeout, resources, client, viaSentinels);
    } catch (RuntimeException e) {
      shutdown(client, resources, timeout);
      throw e;
    }
  }

  /**
   * {@code redis HOST:PORT}, or {@code redis sentinel MASTER (HOST:PORT,...)} naming the Sentinels,
   * for messages: never the password.
   */
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
   * One line for {@code mxtrap status}: the server (through Sentinel: the master's name, the
   * Sentinels, and the address of the master this host last connected to), whether it answers a
   * PING now (and how fast), and when the mirrored suppressions were last compared with it in full.
   */
  public String describe(Instant now) {
    StringBuilder b = new StringBuilder(server);
    SocketAddress at = master;
    if (viaSentinels && at instanceof InetSocketAddress a) {
      b.append(" master at ").append(hostPort(a.getHostString(), a.getPort()));
    }
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

  /** {@code HOST:PORT}, an IPv6 address in brackets. */
  private static String hostPort(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  private static void shutdown(RedisClient client, ClientResources resources, Duration timeout) {
    client.shutdown(Duration.ZERO, timeout);
    resources.shutdown(0, timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
