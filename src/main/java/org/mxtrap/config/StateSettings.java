package org.mxtrap.config;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;

/**
 * Where the trap engine's memory lives (PRODUCT.md {@code state}): {@code local}, the embedded
 * store in {@code DATA_DIR/state/}, or {@code redis}, one Redis deployment shared by every host of
 * the site.
 *
 * @param store which store
 * @param maxContacts client networks the contact history holds at most; beyond, the one seen least
 *     recently is forgotten (and counted, and logged)
 * @param redis {@link Store#REDIS}: where the shared store is; null otherwise
 * @param onOutage what a host does while its view of the shared store is partial (no effect with
 *     the embedded store, whose view is always whole)
 */
public record StateSettings(
    Store store, int maxContacts, @Nullable Redis redis, OnOutage onOutage) {

  public enum Store {
    LOCAL,
    REDIS
  }

  /** {@code state.on_outage}. */
  public enum OnOutage {
    /**
     * Serve on local knowledge (this host's own contacts, the mirrored suppressions), never
     * suppressing or arming on the partial view.
     */
    OPEN,
    /** Tempfail every client that neither the lists nor a suppression settle. */
    CLOSED
  }

  public StateSettings {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(onOutage, "onOutage");
    if ((store == Store.REDIS) != (redis != null)) {
      throw new IllegalArgumentException("redis settings go with store redis, and only with it");
    }
  }

  /**
   * The shared Redis ({@code state.redis}): where it is, and how every host of the site reaches it.
   *
   * @param topology one server ({@code url}), a master found through Sentinel ({@code sentinel}) or
   *     a Redis Cluster ({@code cluster})
   * @param passwordFile the file whose first line is the password of the Redis servers (never
   *     logged), or null; the Sentinels' own is {@link Sentinel#passwordFile}
   * @param keyPrefix put before every key, so that several sites can share one Redis
   * @param tls whether every connection (to a Sentinel too) is TLS: for one server, whether its
   *     {@code url} is {@code rediss://}; else the {@code tls} key
   * @param caFile with TLS, the PEM file of the CAs that sign the servers' certificates; null: the
   *     JVM's default trust store
   */
  public record Redis(
      Topology topology,
      @Nullable Path passwordFile,
      String keyPrefix,
      boolean tls,
      @Nullable Path caFile) {
    public Redis {
      Objects.requireNonNull(topology, "topology");
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      if (topology instanceof Server s && tls != s.url().getScheme().equalsIgnoreCase("rediss")) {
        throw new IllegalArgumentException("one server speaks TLS when its url is rediss://");
      }
      if (caFile != null && !tls) {
        throw new IllegalArgumentException("a CA file goes with TLS");
      }
    }

    /** How the Redis is found: exactly one of {@code url}, {@code sentinel} and {@code cluster}. */
    public sealed interface Topology {}

    /**
     * One Redis server ({@code state.redis.url}).
     *
     * @param url {@code redis://HOST:PORT[/DB]} or {@code rediss://} (TLS), no password in it
     */
    public record Server(URI url) implements Topology {
      public Server {
        Objects.requireNonNull(url, "url");
      }
    }

    /**
     * A master and its replicas watched by Redis Sentinel ({@code state.redis.sentinel}): the
     * client asks the Sentinels where the master is, and asks again whenever it reconnects, so it
     * follows a failover.
     *
     * @param master the name the Sentinels monitor it by ({@code sentinel monitor NAME ...})
     * @param nodes the Sentinels, at least one, none twice; unresolved ({@link
     *     InetSocketAddress#getHostString()} is the IP literal or host name as given, a name being
     *     looked up at each connection)
     * @param passwordFile the file whose first line is the Sentinels' own password (their {@code
     *     requirepass}; never logged), or null when they need none: a Sentinel without a password
     *     refuses a client that gives one, so this is not {@link Redis#passwordFile}
     */
    public record Sentinel(
        String master, List<InetSocketAddress> nodes, @Nullable Path passwordFile)
        implements Topology {
      public Sentinel {
        Objects.requireNonNull(master, "master");
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
          throw new IllegalArgumentException("a Sentinel deployment needs at least one node");
        }
      }

      /** Sentinels that need no password. */
      public Sentinel(String master, List<InetSocketAddress> nodes) {
        this(master, nodes, null);
      }

      static final Key<Sentinel, String> MASTER =
          Key.required(
              "master",
              Type.of(Redis::printable, m -> m),
              "the name the Sentinels monitor the master by",
              null);
      static final Key<Sentinel, List<InetSocketAddress>> NODES =
          Key.required(
              "nodes",
              Type.of(Sentinel::nodes, Sentinel::show),
              "the Sentinels' HOST:PORT, e.g. [\"10.0.0.1:26379\"]",
              null);
      static final Key<Sentinel, Path> PASSWORD_FILE =
          Key.of("password_file", Type.readableFile(), null, Sentinel::passwordFile);

      static final Section<Sentinel> TABLE =
          Section.of("state.redis.sentinel", List.of(MASTER, NODES, PASSWORD_FILE), Sentinel::build)
              .describedAs(
                  s ->
                      "master="
                          + s.master()
                          + " nodes="
                          + show(s.nodes())
                          + (s.passwordFile() == null ? "" : " password_file=" + s.passwordFile()));

      private static @Nullable Sentinel build(Values v) {
        String master = v.get(MASTER);
        List<InetSocketAddress> nodes = v.get(NODES);
        Path password = v.get(PASSWORD_FILE);
        if (master == null || nodes == null || v.failed()) {
          return null;
        }
        return new Sentinel(master, nodes, password);
      }

      private static @Nullable List<InetSocketAddress> nodes(Values in, Field f) {
        return nodes(in, f, "must list at least one Sentinel, e.g. [\"10.0.0.1:26379\"]");
      }

      /** A list of {@code HOST:PORT}, at least one ({@code ifEmpty} says so), none twice. */
      static @Nullable List<InetSocketAddress> nodes(Values in, Field f, String ifEmpty) {
        NodeReader r = in.reader();
        List<Field> items = r.list(f);
        if (items == null) {
          return null;
        }
        if (items.isEmpty()) {
          r.error(f, ifEmpty);
          return null;
        }
        List<InetSocketAddress> out = new ArrayList<>();
        boolean complete = true;
        for (Field item : items) {
          InetSocketAddress a = r.parsed(item, Sentinel::node);
          if (a == null) {
            complete = false;
          } else if (out.contains(a)) {
            r.error(item, "listed twice: " + show(List.of(a)));
            complete = false;
          } else {
            out.add(a);
          }
        }
        return complete ? out : null;
      }

      /**
       * {@code HOST:PORT}: an IPv4 address, an IPv6 address in brackets or a host name, and a port.
       *
       * @throws IllegalArgumentException with a message fit for the user
       */
      static InetSocketAddress node(String text) {
        String s = text.strip();
        int colon = s.lastIndexOf(':');
        if (colon < 0) {
          throw new IllegalArgumentException(
              "missing port in " + s + " (write HOST:PORT, e.g. 10.0.0.1:26379)");
        }
        String host = s.substring(0, colon);
        if (s.startsWith("[") || IpLiterals.looksV6(host) || Addresses.parse(host).isPresent()) {
          InetSocketAddress a = IpLiterals.parseSocketAddress(s);
          return InetSocketAddress.createUnresolved(Addresses.text(a.getAddress()), a.getPort());
        }
        return InetSocketAddress.createUnresolved(
            DomainNames.canonical(host), IpLiterals.parsePort(s.substring(colon + 1), s));
      }

      /** {@code 10.0.0.1:26379,[2001:db8::1]:26379,sentinel.example.com:26379}. */
      static String show(List<InetSocketAddress> nodes) {
        return nodes.stream()
            .map(
                a ->
                    (a.getHostString().indexOf(':') >= 0
                            ? "[" + a.getHostString() + "]"
                            : a.getHostString())
                        + ":"
                        + a.getPort())
            .collect(Collectors.joining(","));
      }
    }

    /**
     * A Redis Cluster ({@code state.redis.cluster}): the client learns every master and its slots
     * from the first seed node that answers, and follows the cluster through a failover.
     *
     * @param nodes seed nodes, at least one, none twice; unresolved as {@link Sentinel#nodes}
     */
    public record Cluster(List<InetSocketAddress> nodes) implements Topology {
      public Cluster {
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
          throw new IllegalArgumentException("a Redis Cluster needs at least one seed node");
        }
      }

      private static @Nullable Cluster parse(Values in, Field f) {
        List<InetSocketAddress> nodes =
            Sentinel.nodes(in, f, "must list at least one node, e.g. [\"10.0.0.1:7000\"]");
        return nodes == null ? null : new Cluster(nodes);
      }
    }

    static final Key<Redis, URI> URL =
        Key.of("url", Type.of(Redis::url, URI::toString), null, r -> null);
    static final Key<Redis, Sentinel> SENTINEL =
        Key.of("sentinel", Sentinel.TABLE.type(), null, r -> null);
    static final Key<Redis, Cluster> CLUSTER =
        Key.of("cluster", Type.of(Cluster::parse, c -> Sentinel.show(c.nodes())), null, r -> null);
    static final Key<Redis, Path> PASSWORD_FILE =
        Key.of("password_file", Type.readableFile(), null, r -> r.passwordFile());
    static final Key<Redis, String> KEY_PREFIX =
        Key.of("key_prefix", Type.of(Redis::printable, p -> p), "mxtrap:", Redis::keyPrefix);
    static final Key<Redis, Boolean> TLS = Key.of("tls", Type.bool(), false, Redis::tls);
    static final Key<Redis, Path> CA_FILE =
        Key.of("ca_file", Type.readableFile(), null, Redis::caFile);

    static final Section<Redis> TABLE =
        Section.of(
                "state.redis",
                List.of(URL, SENTINEL, CLUSTER, PASSWORD_FILE, KEY_PREFIX, TLS, CA_FILE),
                Redis::build)
            .describedAs(Redis::describe);

    /**
     * {@code redis://10.0.0.5:6379 key_prefix=mxtrap: password_file=/etc/...}, or {@code sentinel
     * master=mymaster nodes=10.0.0.1:26379,10.0.0.2:26379 key_prefix=...}, or {@code cluster
     * nodes=10.0.0.1:7000,10.0.0.2:7000 key_prefix=...}: never the password.
     */
    static String describe(Redis r) {
      String where =
          switch (r.topology()) {
            case Server s -> s.url().toString();
            case Sentinel s -> "sentinel " + Sentinel.TABLE.describe().apply(s);
            case Cluster c -> "cluster nodes=" + Sentinel.show(c.nodes());
          };
      return where
          + " key_prefix="
          + r.keyPrefix()
          + (r.passwordFile() == null ? "" : " password_file=" + r.passwordFile())
          + (r.tls() && !(r.topology() instanceof Server) ? " tls=true" : "")
          + (r.caFile() == null ? "" : " ca_file=" + r.caFile());
    }

    /** Exactly one of url, sentinel and cluster. */
    private static @Nullable Redis build(Values v) {
      URI url = v.get(URL);
      Sentinel sentinel = v.get(SENTINEL);
      Cluster cluster = v.get(CLUSTER);
      Path password = v.get(PASSWORD_FILE);
      String prefix = v.get(KEY_PREFIX);
      boolean tlsKey = v.get(TLS);
      Path caFile = v.get(CA_FILE);
      List<Field> given = new ArrayList<>();
      for (Key<Redis, ?> k : List.of(URL, SENTINEL, CLUSTER)) {
        Field f = v.field(k);
        if (f != null) {
          given.add(f);
        }
      }
      if (given.size() > 1) {
        v.reader()
            .errorAtKey(
                given.get(1),
                "give one of url (one server), sentinel (a master and its Sentinels) and cluster"
                    + " (its nodes), not more");
        return null;
      }
      if (given.isEmpty()) {
        v.reader()
            .error(
                v.line(),
                "state.redis",
                "needs url (one server: redis://HOST:PORT), sentinel ({ master, nodes }) or"
                    + " cluster ([HOST:PORT, ...])");
        return null;
      }
      // One server's TLS is its scheme, so that one fact is written in one place.
      Field fTls = v.field(TLS);
      if (url != null && fTls != null) {
        v.reader().errorAtKey(fTls, "with url, TLS is its scheme: write rediss://HOST:PORT");
        return null;
      }
      boolean tls = url != null ? url.getScheme().equalsIgnoreCase("rediss") : tlsKey;
      Field fCa = v.field(CA_FILE);
      if (fCa != null && !tls && !v.failed()) {
        v.reader()
            .errorAtKey(
                fCa,
                "only read with TLS ("
                    + (url != null ? "url: rediss://HOST:PORT" : "tls: true")
                    + "); set it or remove the key");
        return null;
      }
      if (v.failed()) {
        return null;
      }
      Topology topology = url != null ? new Server(url) : sentinel != null ? sentinel : cluster;
      return topology == null ? null : new Redis(topology, password, prefix, tls, caFile);
    }

    /** {@code redis://} or {@code rediss://}, a host, a port; no user or password in it. */
    private static @Nullable URI url(Values in, Field f) {
      NodeReader r = in.reader();
      String text = r.text(f);
      if (text == null) {
        return null;
      }
      URI u;
      try {
        u = new URI(text.strip());
      } catch (URISyntaxException e) {
        r.error(f, "not a URL: " + text);
        return null;
      }
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("redis") && !scheme.equals("rediss")) {
        r.error(f, "must start with redis:// or rediss:// (TLS): " + text);
      } else if (u.getHost() == null) {
        r.error(f, "names no host: " + text);
      } else if (u.getUserInfo() != null) {
        r.error(f, "put the password in password_file, not in the URL");
      } else {
        return u;
      }
      return null;
    }

    /** Any text without spaces or control characters, at most 64 characters. */
    private static @Nullable String printable(Values in, Field f) {
      NodeReader r = in.reader();
      String text = r.text(f);
      if (text == null) {
        return null;
      }
      if (text.length() > 64 || !text.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        r.error(f, "at most 64 printable ASCII characters, no spaces: " + text);
        return null;
      }
      return text;
    }
  }

  static final Key<StateSettings, Store> STORE =
      Key.of(
          "store", Type.choice(Store.class, "local", "redis"), Store.LOCAL, StateSettings::store);
  static final Key<StateSettings, Integer> MAX_CONTACTS =
      Key.of("max_contacts", Type.positiveInteger(), 1_000_000, StateSettings::maxContacts);
  static final Key<StateSettings, Redis> REDIS =
      Key.of("redis", Redis.TABLE.type(), null, StateSettings::redis);

  static final Key<StateSettings, OnOutage> ON_OUTAGE =
      Key.of(
          "on_outage",
          Type.choice(OnOutage.class, "open", "closed"),
          OnOutage.OPEN,
          StateSettings::onOutage);

  static final Section<StateSettings> SECTION =
      Section.of("state", List.of(STORE, MAX_CONTACTS, REDIS, ON_OUTAGE), StateSettings::build);

  public static final StateSettings DEFAULTS = SECTION.defaults();

  /** {@code redis} is required with store redis, and read only with it. */
  private static @Nullable StateSettings build(Values v) {
    Store store = v.get(STORE);
    int maxContacts = v.get(MAX_CONTACTS);
    Field fRedis = v.field(REDIS);
    Redis redis = null;
    if (v.valid(STORE) && store == Store.REDIS) {
      if (fRedis == null) {
        v.reader()
            .error(
                NodeReader.line(Objects.requireNonNull(v.field(STORE)).key()),
                "state.redis",
                "required with store: redis ({ url: redis://HOST:PORT }, { sentinel: { master, nodes } }"
                    + " or { cluster: [HOST:PORT, ...] })");
      } else {
        redis = v.get(REDIS);
      }
    } else if (fRedis != null) {
      v.reader().errorAtKey(fRedis, "only read with store: redis; set it or remove the key");
    }
    if (v.failed() || (store == Store.REDIS && redis == null)) {
      return null;
    }
    return new StateSettings(store, maxContacts, redis, v.get(ON_OUTAGE));
  }
}
