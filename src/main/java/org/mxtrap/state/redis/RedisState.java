package org.mxtrap.state.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.protocol.ConnectionIntent;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.observe.Events;
import org.mxtrap.state.AvailabilityHistory;
import org.mxtrap.state.ContactHistory;
import org.mxtrap.state.IdentityHistory;
import org.mxtrap.state.StateView;
import org.mxtrap.state.SuppressionStore;

/**
 * This host's part of the site's shared state ({@code state.store: redis}): one client to the Redis
 * (one server, the master that Redis Sentinel names, or a Redis Cluster), made once, and the three
 * stores on it under one key prefix. Every command and every TCP connection attempt has {@code
 * timeout}, a connection's handshake (TLS, HELLO, AUTH) {@link #HANDSHAKE}; commands are refused at
 * once while disconnected rather than queued (a Redis that is away costs a caller nothing but an
 * exception); reconnects back off from 10 ms to 1 s. The passwords (the servers' and the
 * Sentinels') go into the client, never into a message: {@link #server()} and the exceptions of the
 * open methods name hosts and ports only. With {@link Tls}, every connection (to a Sentinel too) is
 * TLS and checks the peer's certificate and host name.
 *
 * <p>Open the stores with {@link #suppressions}, {@link #contacts} and {@link #availability}, and
 * close them before this. {@link #view} says whether this host's view of the shared state is whole:
 * any store's failure to reach Redis makes it partial, until Redis answers again and the stores
 * have written what they recorded meanwhile and read what they missed ({@link Reachability}).
 * Thread-safe.
 */
public final class RedisState implements AutoCloseable {
  /**
   * The deadline of a connection's handshake (the TLS handshake, HELLO, AUTH), at open and at each
   * reconnect: longer than a command's, since a handshake costs far more (the first TLS one in a
   * JVM most: JSSE loads and initialises itself, measured over 300 ms on a busy host), and nothing
   * waits for a reconnect (commands are refused meanwhile). Commands keep their own deadline.
   */
  static final Duration HANDSHAKE = Duration.ofSeconds(5);

  /** How often a Cluster client reads the cluster's layout anyway, besides on a MOVED or ASK. */
  private static final Duration CLUSTER_REFRESH = Duration.ofSeconds(15);

  /** How often a MOVED, an ASK or repeated reconnects may make a Cluster client read it at most. */
  private static final Duration ADAPTIVE_REFRESH_AT_MOST = Duration.ofSeconds(1);

  private final String keyPrefix;
  private final String server;
  private final Duration timeout;
  private final ClientResources resources;
  private final AbstractRedisClient client;
  private final Supplier<Connection> connector;
  private final Supplier<StatefulRedisPubSubConnection<String, String>> pubSubConnector;
  private final boolean viaSentinels;
  private final Connection shared;
  private volatile @Nullable RedisSuppressionStore suppressions;
  private volatile @Nullable SocketAddress master; // where a data connection last connected to
  private final Reachability reach;

  /**
   * TLS to every node: each peer's certificate must chain to a trusted CA and name the host
   * connected to (as given in the config, or as a Sentinel or the Cluster announced it), which is
   * how Lettuce verifies by default. Immutable.
   */
  public static final class Tls {
    private final @Nullable TrustManagerFactory trust;

    private Tls(@Nullable TrustManagerFactory trust) {
      this.trust = trust;
    }

    /** Trusting the CAs of the JVM's default trust store. */
    public static Tls jvmDefault() {
      return new Tls(null);
    }

    /**
     * Trusting only the CA certificates in {@code caFile} (PEM, one or more), read now.
     *
     * @throws IOException naming the file and the reason when it cannot be read or holds no
     *     certificate
     */
    public static Tls trusting(Path caFile) throws IOException {
      Collection<? extends Certificate> cas;
      try (InputStream in = Files.newInputStream(caFile)) {
        cas = CertificateFactory.getInstance("X.509").generateCertificates(in);
      } catch (CertificateException e) {
        throw new IOException("CA file " + caFile + ": not PEM certificates: " + e.getMessage(), e);
      } catch (IOException e) {
        throw new IOException("CA file " + caFile + ": cannot read it: " + e, e);
      }
      if (cas.isEmpty()) {
        throw new IOException("CA file " + caFile + ": no certificate in it");
      }
      try {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate ca : cas) {
          store.setCertificateEntry("ca" + i++, ca);
        }
        TrustManagerFactory trust =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        return new Tls(trust);
      } catch (GeneralSecurityException e) {
        throw new IOException("CA file " + caFile + ": " + e.getMessage(), e);
      }
    }

    SslOptions options() {
      SslOptions.Builder b = SslOptions.builder().jdkSslProvider();
      return (trust == null ? b : b.trustManager(trust)).build();
    }
  }

  /**
   * A data connection, to one server or to a Cluster, behind the commands the two share ({@link
   * RedisClusterCommands} is the common part of the standalone and the Cluster API). On a Cluster
   * each command goes to the master of its key's slot, and SCAN walks every master in turn.
   */
  record Connection(
      StatefulConnection<String, String> stateful,
      RedisClusterCommands<String, String> sync,
      RedisClusterAsyncCommands<String, String> async)
      implements AutoCloseable {
    static Connection of(StatefulRedisConnection<String, String> c) {
      return new Connection(c, c.sync(), c.async());
    }

    static Connection of(StatefulRedisClusterConnection<String, String> c) {
      return new Connection(c, c.sync(), c.async());
    }

    @Override
    public void close() {
      stateful.close();
    }
  }

  private RedisState(
      String keyPrefix,
      String server,
      Duration timeout,
      ClientResources resources,
      AbstractRedisClient client,
      Supplier<Connection> connector,
      Supplier<StatefulRedisPubSubConnection<String, String>> pubSubConnector,
      boolean viaSentinels) {
    this.keyPrefix = keyPrefix;
    this.server = server;
    this.timeout = timeout;
    this.resources = resources;
    this.client = client;
    this.connector = connector;
    this.pubSubConnector = pubSubConnector;
    this.viaSentinels = viaSentinels;
    this.reach = new Reachability(server, Clock.systemUTC());
    client.addListener(
        new RedisConnectionStateListener() {
          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> c, SocketAddress address) {
            if (!(c instanceof StatefulRedisSentinelConnection)) {
              master = address;
            }
          }
        });
    this.shared = connector.get();
    reach.register(
        () -> {
          shared.sync().ping();
          return 0;
        });
  }

  /**
   * Connects to {@code url} ({@code redis://HOST:PORT[/DB]}, or {@code rediss://} for TLS trusting
   * the JVM's default CAs).
   *
   * @param password Redis's password (AUTH), or null
   * @param keyPrefix the start of every key and channel of this site: {@code mxtrap:}
   * @param timeout the deadline of every command and TCP connection attempt; keep it well under the
   *     greeting budget
   * @throws IOException when Redis cannot be reached within {@code timeout}, refuses the password
   *     or fails the TLS handshake; the message names the server and the reason, never the password
   */
  public static RedisState open(
      String url, @Nullable String password, String keyPrefix, Duration timeout)
      throws IOException {
    RedisURI parsed = RedisURI.create(url);
    return open(url, password, parsed.isSsl() ? Tls.jvmDefault() : null, keyPrefix, timeout);
  }

  /**
   * Connects to {@code url}, as {@link #open(String, String, String, Duration)}, trusting the CAs
   * that {@code tls} names.
   *
   * @param tls with {@code rediss://}, whom to trust; null with {@code redis://}
   */
  public static RedisState open(
      String url, @Nullable String password, @Nullable Tls tls, String keyPrefix, Duration timeout)
      throws IOException {
    RedisURI parsed = RedisURI.create(url);
    if (parsed.isSsl() != (tls != null)) {
      throw new IllegalArgumentException("TLS settings go with rediss://, and only with it");
    }
    RedisURI.Builder b = RedisURI.builder(parsed);
    RedisURI uri = withPassword(b, password).withTimeout(HANDSHAKE).build();
    String server = "redis " + hostPort(uri.getHost(), uri.getPort());
    return open(uri, tls, server, keyPrefix, timeout, false);
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
   * @param timeout the deadline of every command, of every TCP connection attempt and of the
   *     question to the Sentinels
   * @throws IOException when no Sentinel names a master that can be reached within {@code timeout},
   *     as {@link #open(String, String, String, Duration)}
   */
  public static RedisState openSentinel(
      String master,
      List<InetSocketAddress> nodes,
      @Nullable String password,
      String keyPrefix,
      Duration timeout)
      throws IOException {
    return openSentinel(master, nodes, null, password, null, keyPrefix, timeout);
  }

  /**
   * Connects through the Sentinels, as {@link #openSentinel(String, List, String, String,
   * Duration)}, giving the Sentinels a password of their own and speaking TLS to every node.
   *
   * @param sentinelPassword the Sentinels' own password (their {@code requirepass}), or null when
   *     they need none (a Sentinel without one refuses AUTH)
   * @param password the Redis servers' password (AUTH), or null
   * @param tls TLS to the Sentinels and the servers alike, or null for neither
   */
  public static RedisState openSentinel(
      String master,
      List<InetSocketAddress> nodes,
      @Nullable String sentinelPassword,
      @Nullable String password,
      @Nullable Tls tls,
      String keyPrefix,
      Duration timeout)
      throws IOException {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("no Sentinel to ask for " + master);
    }
    RedisURI.Builder b = RedisURI.builder().withSentinelMasterId(master);
    for (InetSocketAddress n : nodes) {
      b.withSentinel(n.getHostString(), n.getPort(), sentinelPassword);
    }
    // After the Sentinels: withSsl applies to those already added, and to the master.
    RedisURI uri = withPassword(b, password).withSsl(tls != null).withTimeout(HANDSHAKE).build();
    return open(
        uri, tls, "redis sentinel " + master + " (" + show(nodes) + ")", keyPrefix, timeout, true);
  }

  /**
   * Connects to the Redis Cluster that {@code nodes} belong to: the client learns every master and
   * its slots from the first seed that answers (CLUSTER NODES), sends each command to the master of
   * its key's slot, and reads the layout again on a MOVED or ASK redirection, after repeated
   * reconnects, and every 15 s, so it follows a failover to a replica. Commands to a slot whose
   * master is away fail at once until the cluster has promoted a replica and the client has read
   * the new layout; the other slots go on. Pub/sub rides on one node (PUBLISH reaches every node of
   * a cluster).
   *
   * @param nodes seed nodes, at least one: any masters or replicas of the cluster
   * @param password the cluster's password (AUTH), or null
   * @param keyPrefix as {@link #open(String, String, String, Duration)}
   * @param timeout the deadline of every command and of every TCP connection attempt
   * @throws IOException when no seed answers within {@code timeout}, as {@link #open(String,
   *     String, String, Duration)}
   */
  public static RedisState openCluster(
      List<InetSocketAddress> nodes, @Nullable String password, String keyPrefix, Duration timeout)
      throws IOException {
    return openCluster(nodes, password, null, keyPrefix, timeout);
  }

  /**
   * Connects to a Redis Cluster, as {@link #openCluster(List, String, String, Duration)}, speaking
   * TLS to every node (the seeds and those the cluster names: its {@code tls-cluster yes}).
   *
   * @param tls TLS to every node, or null for none
   */
  public static RedisState openCluster(
      List<InetSocketAddress> nodes,
      @Nullable String password,
      @Nullable Tls tls,
      String keyPrefix,
      Duration timeout)
      throws IOException {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("no Redis Cluster node to start from");
    }
    List<RedisURI> seeds =
        nodes.stream()
            .map(
                n ->
                    withPassword(RedisURI.builder().withHost(n.getHostString()), password)
                        .withPort(n.getPort())
                        .withSsl(tls != null)
                        .withTimeout(HANDSHAKE)
                        .build())
            .toList();
    String server = "redis cluster (" + show(nodes) + ")";
    ClientResources resources = resources();
    RedisClusterClient client = RedisClusterClient.create(resources, seeds);
    ClusterClientOptions.Builder options =
        ClusterClientOptions.builder()
            .topologyRefreshOptions(
                ClusterTopologyRefreshOptions.builder()
                    .enablePeriodicRefresh(CLUSTER_REFRESH)
                    .enableAllAdaptiveRefreshTriggers()
                    // Lettuce's default, 30 s, would spend the one refresh on the first reconnects
                    // to a lost master, before its replica is promoted, and keep the dead layout.
                    .adaptiveRefreshTriggersTimeout(ADAPTIVE_REFRESH_AT_MOST)
                    .build());
    deadlinesAndTls(options, timeout, tls);
    client.setOptions(options.build());
    try {
      return new RedisState(
          keyPrefix,
          server,
          timeout,
          resources,
          client,
          () -> Connection.of(connectToEveryNode(client)),
          client::connectPubSub,
          false);
    } catch (RuntimeException e) {
      shutdown(client, resources, timeout);
      throw unreachable(server, e);
    }
  }

  /**
   * A Cluster connection already connected to every node it knows. Lettuce connects to a node on
   * its first command, and with REJECT_COMMANDS rejects that command while the connection is being
   * made; connecting up front keeps the first command of each slot from failing. A node that joins
   * later (a promoted replica) still costs its first command, which fails at once like any command
   * during a failover.
   */
  private static StatefulRedisClusterConnection<String, String> connectToEveryNode(
      RedisClusterClient client) {
    StatefulRedisClusterConnection<String, String> c = client.connect();
    try {
      for (RedisClusterNode node : c.getPartitions()) {
        // Keyed as the commands of a slot ask for it: write intent, the node's host and port.
        c.getConnection(node.getUri().getHost(), node.getUri().getPort(), ConnectionIntent.WRITE);
      }
      return c;
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /**
   * What every client of ours has, one server's or a Cluster's: commands refused at once while
   * disconnected (never queued), {@code timeout} for every command and TCP connection attempt, and
   * TLS when {@code tls} is given.
   */
  private static void deadlinesAndTls(
      ClientOptions.Builder options, Duration timeout, @Nullable Tls tls) {
    options
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
        .timeoutOptions(TimeoutOptions.enabled(timeout));
    if (tls != null) {
      options.sslOptions(tls.options());
    }
  }

  private static RedisURI.Builder withPassword(RedisURI.Builder b, @Nullable String password) {
    return password == null ? b : b.withPassword(password.toCharArray());
  }

  private static RedisState open(
      RedisURI uri,
      @Nullable Tls tls,
      String server,
      String keyPrefix,
      Duration timeout,
      boolean viaSentinels)
      throws IOException {
    ClientResources resources = resources();
    RedisClient client = RedisClient.create(resources, uri);
    ClientOptions.Builder options = ClientOptions.builder();
    deadlinesAndTls(options, timeout, tls);
    client.setOptions(options.build());
    try {
      return new RedisState(
          keyPrefix,
          server,
          timeout,
          resources,
          client,
          () -> Connection.of(client.connect()),
          client::connectPubSub,
          viaSentinels);
    } catch (RuntimeException e) {
      shutdown(client, resources, timeout);
      throw unreachable(server, e);
    }
  }

  /**
   * {@code cannot use redis HOST:PORT: REASON}, REASON being the innermost message of {@code e}'s
   * causes (Redis's own refusal, such as {@code WRONGPASS ...}, or what failed the TLS handshake,
   * such as {@code PKIX path building failed ...}). Lettuce's messages name hosts and ports, never
   * the password.
   */
  private static IOException unreachable(String server, RuntimeException e) {
    Throwable reason = e;
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c.getMessage() != null) {
        reason = c;
      }
    }
    return new IOException("cannot use " + server + ": " + reason.getMessage(), e);
  }

  private static ClientResources resources() {
    return ClientResources.builder()
        .ioThreadPoolSize(2)
        .computationThreadPoolSize(2)
        .reconnectDelay(
            Delay.exponential(
                Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
        .build();
  }

  /**
   * {@code redis HOST:PORT}, {@code redis sentinel MASTER (HOST:PORT,...)} naming the Sentinels, or
   * {@code redis cluster (HOST:PORT,...)} naming the seed nodes, for messages: never the password.
   */
  public String server() {
    return server;
  }

  /** The deadline of every command. */
  public Duration timeout() {
    return timeout;
  }

  /** The client, for a store that listens to its connections coming and going. */
  AbstractRedisClient client() {
    return client;
  }

  /** A new data connection of a store's own; the store closes it. */
  Connection connect() {
    return connector.get();
  }

  /**
   * A new subscription connection of a store's own; the store closes it. On a Cluster, SUBSCRIBE
   * goes to one node, which hears what is published on any.
   */
  StatefulRedisPubSubConnection<String, String> connectPubSub() {
    return pubSubConnector.get();
  }

  /** One connection shared by the histories (Lettuce connections are thread-safe). */
  RedisClusterAsyncCommands<String, String> commands() {
    return shared.async();
  }

  String keyPrefix() {
    return keyPrefix;
  }

  /** Told of every store's failure to reach Redis; recovers the view. */
  Reachability reachability() {
    return reach;
  }

  /**
   * Whether this host's view of the shared state is whole; its outages are told to {@code events}
   * ({@link org.mxtrap.observe.Event.StatePartial}, {@link org.mxtrap.observe.Event.StateWhole})
   * from now on.
   */
  public StateView view(Events events) {
    reach.tell(events);
    return reach;
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
   * PING now (and how fast), whether this host's view is partial (and why), how many outages it has
   * seen, and when the mirrored suppressions were last compared with it in full.
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
    reach.partial().ifPresent(p -> b.append("; view PARTIAL: ").append(p));
    b.append("; outages since start: ").append(reach.outages());
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
        reach,
        timeout,
        keyPrefix,
        excusePrefixV4,
        excusePrefixV6,
        capacity,
        window,
        preferences);
  }

  /** The shared identity history ({@link RedisIdentityHistory}; parameters as there). */
  public IdentityHistory identities(int capacity, Duration window) {
    return new RedisIdentityHistory(commands(), reach, timeout, keyPrefix, capacity, window);
  }

  /** The shared availability history ({@link RedisAvailabilityHistory#open}). */
  public AvailabilityHistory availability(
      Layout layout, Set<LayoutEntry> served, Instant now, Duration retain) {
    return RedisAvailabilityHistory.open(
        commands(), reach, timeout, keyPrefix, layout, served, now, retain);
  }

  @Override
  public void close() {
    reach.close();
    try {
      shared.close();
    } finally {
      shutdown(client, resources, timeout);
    }
  }

  /** {@code HOST:PORT,HOST:PORT}. */
  private static String show(List<InetSocketAddress> nodes) {
    return String.join(
        ",", nodes.stream().map(n -> hostPort(n.getHostString(), n.getPort())).toList());
  }

  /** {@code HOST:PORT}, an IPv6 address in brackets. */
  private static String hostPort(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  private static void shutdown(
      AbstractRedisClient client, ClientResources resources, Duration timeout) {
    client.shutdown(Duration.ZERO, timeout);
    resources.shutdown(0, timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
