package org.mxtrap.state.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Cidr;
import org.mxtrap.state.Suppression;
import org.mxtrap.state.SuppressionStore;
import org.mxtrap.state.redis.RedisState.Connection;
import org.mxtrap.state.redis.SuppressionMirror.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared {@link SuppressionStore}: every suppression in Redis, where all the hosts of a site
 * see it, and mirrored in this host's memory ({@link SuppressionMirror}), where all lookups are
 * answered without the network.
 *
 * <h2>Key schema</h2>
 *
 * <pre>
 * PREFIX suppression:CIDR   a hash, one per suppressed prefix (CIDR as Cidr.toString() prints it:
 *                           192.0.2.7/32, 2001:db8::/48): the latest suppression of it, kept after
 *                           it ends (that is its history) for as long as it counts for a repeat.
 *     since     ISO-8601 UTC, Instant.toString(): 2025-06-03T10:00:00Z (a fraction when it has one)
 *     until     the same; the suppression is active while since &lt;= now &lt; until
 *     reason    the verdict that caused it: mx-skip, early-talker, manual, ...
 *     offences  decimal, at least 1
 *     evidence  an account of the latest offence
 *     version   decimal: Redis's clock in microseconds at the write (TIME), or the previous
 *               version + 1 if that is not larger; orders the writes of one prefix
 *   TTL: until + REPEAT_WINDOW - now, with now the caller's (PEXPIRE, set at every write): the key
 *   lives exactly as long as it counts for a repeat offence, then Redis deletes it by itself.
 *   Relative to the caller's clock, not PEXPIREAT on Redis's, so the row's times and its expiry
 *   agree whatever the two clocks say.
 * PREFIX suppressions       the pub/sub channel: every write publishes the CIDR it wrote.
 * </pre>
 *
 * Each change reads and writes one key, so the schema serves Redis Cluster as it is (a hash tag in
 * PREFIX would put every suppression in one slot): the script runs on the master of the key's slot,
 * its PUBLISH reaches every node of the cluster (and so the subscription, which sits on one), and
 * the resync's SCAN walks every master in turn (Lettuce's cluster SCAN). Measured on redis-server
 * 7.0.15 (jemalloc, 64 bit), {@code INFO memory} used_memory grows by 342 bytes per suppression of
 * a host (/32, an mx-skip with a 29-character evidence, key prefix {@code mxtrap:}): 34 MB for
 * 100,000, so about 340 MB for a million ({@code RedisSuppressionMemory} in the tests measures it).
 *
 * <h2>Changes</h2>
 *
 * {@link #offend}, {@link #add} and {@link #remove} read the prefix's hash, decide in Java (the
 * rules of {@link org.mxtrap.state.SqliteSuppressionStore}) and write with one Lua script that
 * stores the hash only if its version is still the one read, sets its TTL and publishes the change,
 * atomically; a write that lost the race to another host or thread reads again. So offences made at
 * once on several hosts are each counted. A change is in Redis when the method returns (as durable
 * as the Redis deployment is), and in this host's mirror.
 *
 * <h2>The mirror and its staleness</h2>
 *
 * The mirror is loaded by a full scan at {@link #open}, and is kept current by the channel: each
 * store subscribes and reads each published prefix back (one HGETALL, off the lookup path). A
 * suppression made on any host is so enforced on every connected host after one publish and one
 * read, milliseconds on a LAN and far under the 1 s the product promises. What a host misses while
 * disconnected is repaired by a full resync, run when a connection comes back and every {@code
 * resyncEvery}: the staleness is bounded by {@code resyncEvery} plus the time to reconnect. A
 * resync also writes back (only where the key is missing) every mirrored row that still counts but
 * that Redis no longer has, so a Redis restarted empty gets the site's suppressions back from the
 * hosts.
 *
 * <h2>Failure</h2>
 *
 * Every Redis command has a deadline ({@code commandTimeout}), and a command made while the
 * connection is down fails at once; every failure makes the host's view partial ({@link
 * Reachability}), and so does a subscription that reconnects (what was published meanwhile is
 * missed). {@link #add} and {@link #remove}, an operator's, then throw {@link UncheckedIOException}
 * naming the server and the prefix: nothing may have been stored, or the write may have been stored
 * but not confirmed (the next resync brings it into the mirror). {@link #offend}, the trap
 * engine's, suppresses in the mirror alone and keeps the row for the recovery, which writes it into
 * Redis unless Redis has one of the prefix that ends as late. The recovery then resyncs in full.
 * {@link #find}, {@link #active}, {@link #history} and {@link #maintain} never use the network:
 * they keep answering from the mirror while Redis is away. Lettuce reconnects by itself (every
 * second at most) and resubscribes.
 *
 * <h2>Threads</h2>
 *
 * Thread-safe. Lookups read the mirror and never wait. One connection carries the commands of every
 * thread (Lettuce multiplexes), one more the subscription; resyncs run on one background thread,
 * which logs a failure once per outage and goes on.
 */
public final class RedisSuppressionStore implements SuppressionStore {
  private static final Logger log = LoggerFactory.getLogger("state");

  /**
   * Stores the hash KEYS[1] if its version is still ARGV[1] ('' for no key), with a new version,
   * sets its TTL to ARGV[2] ms and publishes ARGV[4] (the CIDR) on channel ARGV[3]. ARGV[5..9]:
   * since, until, reason, offences, evidence. Returns the new version, or nil when the version was
   * not the one expected.
   */
  private static final String WRITE_IF_VERSION =
      """
      local held = redis.call('HGET', KEYS[1], 'version') or ''
      if held ~= ARGV[1] then return false end
      local t = redis.call('TIME')
      local version = t[1] * 1000000 + t[2]
      if held ~= '' and tonumber(held) >= version then version = tonumber(held) + 1 end
      version = string.format('%d', version)
      redis.call('HSET', KEYS[1], 'since', ARGV[5], 'until', ARGV[6], 'reason', ARGV[7],
        'offences', ARGV[8], 'evidence', ARGV[9], 'version', version)
      redis.call('PEXPIRE', KEYS[1], ARGV[2])
      redis.call('PUBLISH', ARGV[3], ARGV[4])
      return version
      """;

  private static final int SCAN_BATCH = 1000;

  private final String server;
  private final String keyPrefix;
  private final String channel;
  private final Duration commandTimeout;
  private final Clock clock;
  private final AbstractRedisClient client; // the host's, shared: not ours to shut down
  private final Connection connection;
  private final RedisClusterCommands<String, String> redis;
  private final StatefulRedisPubSubConnection<String, String> subscription;
  private final ScheduledExecutorService resyncs;
  private final Reachability reach;
  private final SuppressionMirror mirror = new SuppressionMirror();
  // offences suppressed in the mirror only, while Redis was away, for the recovery to write
  private final ConcurrentHashMap<Cidr, Suppression> unwritten = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private volatile @Nullable Instant lastResync; // the last full resync that succeeded

  private RedisSuppressionStore(RedisState state, Clock clock) {
    this.server = state.server();
    this.keyPrefix = state.keyPrefix();
    this.channel = keyPrefix + "suppressions";
    this.commandTimeout = state.timeout();
    this.clock = clock;
    this.client = state.client();
    this.reach = state.reachability();
    this.resyncs =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("redis-suppressions-resync").factory());
    this.connection = state.connect();
    this.redis = connection.sync();
    this.subscription = state.connectPubSub();
  }

  /**
   * Opens the store on {@code redis}: subscribes to the changes of its key prefix's suppressions
   * and loads them all into memory.
   *
   * @param resyncEvery how often the mirror is compared with Redis in full
   * @param clock decides, at a resync, which mirrored rows still count and are written back to a
   *     Redis that lost them
   * @throws IOException when Redis cannot be reached or read within the deadline
   */
  static RedisSuppressionStore open(RedisState redis, Duration resyncEvery, Clock clock)
      throws IOException {
    RedisSuppressionStore store = null;
    try {
      store = new RedisSuppressionStore(redis, clock);
      store.start(resyncEvery);
      return store;
    } catch (RedisException e) {
      if (store != null) {
        store.close();
      }
      throw new IOException(
          redis.server() + ": cannot load the suppressions: " + e.getMessage(), e);
    }
  }

  private void start(Duration resyncEvery) {
    subscription.addListener(
        new RedisPubSubAdapter<>() {
          @Override
          public void message(String channel, String cidr) {
            fetch(cidr);
          }
        });
    subscription.sync().subscribe(channel);
    resync(); // throws: open fails
    client.addListener(
        new RedisConnectionStateListener() {
          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> c, SocketAddress address) {
            // A subscription back after an outage (or a first connect): what it missed is read in
            // full. Not for the other connections of the client: the short ones that ask a
            // Sentinel where the master is, or that read a Cluster's layout every few seconds.
            if (c instanceof StatefulRedisPubSubConnection) {
              reach.failed("the suppressions", "the subscription reconnected");
            }
          }
        });
    reach.register(() -> replay() + resyncOrThrow());
    long every = resyncEvery.toMillis();
    resyncs.scheduleWithFixedDelay(this::resyncQuietly, every, every, TimeUnit.MILLISECONDS);
  }

  @Override
  public Optional<Suppression> find(InetAddress address, Instant now) {
    return mirror.find(address, now);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The previous duration is the stored row's {@code until - since}; a repeat is never shorter
   * than {@code base}, and an offence while suppressed never shortens the suppression. A row that
   * ended {@link #REPEAT_WINDOW} or more before {@code now} counts as none, offences and all.
   *
   * <p>When Redis cannot be written within the deadline, the offence is judged from the mirror,
   * suppressed in the mirror and written by the recovery (see the class comment): this host
   * enforces it at once, the others once Redis answers again.
   */
  @Override
  public Suppression offend(
      Cidr prefix, Instant now, Duration base, Duration max, String reason, String evidence) {
    requirePositive("base", base);
    requirePositive("max", max);
    try {
      Suppression s =
          change(
              prefix,
              now,
              stored ->
                  Suppression.offence(
                      standing(stored, now), prefix, now, base, max, reason, evidence));
      return requireNonNull(s);
    } catch (UncheckedIOException e) {
      if (closed) {
        throw e;
      }
      Suppression s =
          Suppression.offence(
              standing(mirror.get(prefix), now), prefix, now, base, max, reason, evidence);
      mirror.applyLocal(s);
      unwritten.put(prefix, s);
      return s;
    }
  }

  /**
   * The recovery's first part: writes the offences suppressed in the mirror alone, each unless
   * Redis has a suppression of its prefix that ends as late (then with the larger offence count).
   *
   * @return how many were written
   * @throws UncheckedIOException when Redis fails again; what is not written yet stays kept
   */
  private long replay() {
    if (closed) {
      return 0;
    }
    long written = 0;
    for (Map.Entry<Cidr, Suppression> e : List.copyOf(unwritten.entrySet())) {
      Suppression local = e.getValue();
      Suppression s =
          change(
              e.getKey(),
              clock.instant(),
              stored ->
                  stored != null && !stored.until().isBefore(local.until())
                      ? null
                      : new Suppression(
                          local.prefix(),
                          local.since(),
                          local.until(),
                          local.reason(),
                          Math.max(local.offences(), stored == null ? 0 : stored.offences()),
                          local.evidence()));
      unwritten.remove(e.getKey(), local);
      written += s == null ? 0 : 1;
    }
    return written;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The offence count goes on from a row that still counts for {@link #offend}; otherwise it is
   * 1.
   *
   * @throws UncheckedIOException when Redis cannot be written within the deadline
   */
  @Override
  public Suppression add(
      Cidr prefix, Instant now, Duration duration, String reason, String evidence) {
    requirePositive("duration", duration);
    Suppression s =
        change(
            prefix,
            now,
            stored -> {
              Suppression previous = standing(stored, now);
              int offences = previous == null ? 1 : previous.offences() + 1;
              return new Suppression(prefix, now, now.plus(duration), reason, offences, evidence);
            });
    return requireNonNull(s);
  }

  /**
   * {@inheritDoc}
   *
   * @throws UncheckedIOException when Redis cannot be read or written within the deadline
   */
  @Override
  public boolean remove(Cidr prefix, Instant now) {
    return change(
            prefix,
            now,
            s ->
                s == null || !s.activeAt(now)
                    ? null
                    : new Suppression(
                        prefix, s.since(), now, s.reason(), s.offences(), s.evidence()))
        != null;
  }

  /** {@inheritDoc} From the mirror. */
  @Override
  public List<Suppression> active(Instant now) {
    return mirror.active(now);
  }

  /** {@inheritDoc} From the mirror. */
  @Override
  public int count(Instant now) {
    return mirror.count(now);
  }

  /** {@inheritDoc} From the mirror, longest prefix first. */
  @Override
  public List<Suppression> history(InetAddress address) {
    return mirror.history(address);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Redis deletes each key itself when it stops counting (its TTL); this drops such rows from
   * the mirror, and never fails.
   */
  @Override
  public void maintain(Instant now) {
    mirror.purge(now);
  }

  /**
   * Disconnects and stops the resyncs. Lookups after this still answer from memory; changes fail.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    resyncs.shutdownNow();
    try {
      subscription.close();
    } finally {
      connection.close();
    }
  }

  /**
   * Writes {@code next(stored row)} to the prefix's hash unless another write came between the read
   * and the write, then reads again; {@code next} returns null when there is nothing to write.
   *
   * @return what was written, or null
   */
  private @Nullable Suppression change(
      Cidr prefix, Instant now, Function<@Nullable Suppression, @Nullable Suppression> next) {
    if (closed) {
      throw new IllegalStateException(server + ": the suppression store is closed");
    }
    String key = key(prefix);
    long deadline = System.nanoTime() + commandTimeout.toNanos() * 4;
    try {
      do {
        Versioned stored = decode(prefix, redis.hgetall(key));
        Suppression s = next.apply(stored == null ? null : stored.suppression());
        if (s == null) {
          return null;
        }
        Long version = write(s, stored == null ? "" : Long.toString(stored.version()), now);
        if (version != null) {
          mirror.apply(new Versioned(s, version));
          return s;
        }
      } while (System.nanoTime() - deadline < 0);
      throw new IOException("another writer kept changing it");
    } catch (RedisException | IOException e) {
      reach.failed("the suppressions", e.toString());
      throw new UncheckedIOException(
          new IOException(server + ": cannot store the suppression of " + prefix, e));
    }
  }

  /**
   * Stores {@code s} if its key's version is {@code expected} ("" for no key).
   *
   * @return the version written, or null when the key was not at {@code expected}
   */
  private @Nullable Long write(Suppression s, String expected, Instant now) {
    Duration ttl = Duration.between(now, s.until().plus(REPEAT_WINDOW));
    long ttlMillis = Math.max(1, ttl.plusNanos(999_999).toMillis()); // never shorter than it counts
    String version =
        redis.eval(
            WRITE_IF_VERSION,
            ScriptOutputType.VALUE,
            new String[] {key(s.prefix())},
            expected,
            Long.toString(ttlMillis),
            channel,
            s.prefix().toString(),
            s.since().toString(),
            s.until().toString(),
            s.reason(),
            Integer.toString(s.offences()),
            s.evidence());
    return version == null ? null : Long.valueOf(version);
  }

  /** Reads back a prefix another store published, into the mirror; on the client's threads. */
  private void fetch(String cidr) {
    Cidr prefix;
    try {
      prefix = Cidr.parse(cidr);
    } catch (IllegalArgumentException e) {
      log.warn("{}: ignoring a message on {} that is no prefix: {}", server, channel, cidr);
      return;
    }
    connection
        .async()
        .hgetall(key(prefix))
        .whenComplete(
            (hash, failure) -> {
              if (failure != null) {
                log.debug("{}: cannot read {} back (the next resync will)", server, prefix);
              } else {
                Versioned row = decodeQuietly(prefix, hash);
                if (row != null) {
                  mirror.apply(row);
                }
              }
            });
  }

  /** The periodic resync: a failure makes the view partial, and the recovery resyncs. */
  private void resyncQuietly() {
    if (closed) {
      return;
    }
    try {
      resync();
    } catch (RuntimeException e) {
      reach.failed("the suppressions", "resync: " + e);
    }
  }

  /** The recovery's second part. */
  private long resyncOrThrow() {
    if (!closed) {
      resync();
    }
    return 0;
  }

  /**
   * Reads every suppression of {@code keyPrefix} (SCAN, and HGETALL pipelined a batch at a time)
   * into the mirror, and writes back what Redis lost (see {@link SuppressionMirror#reconcile}).
   */
  private synchronized void resync() {
    Instant started = clock.instant();
    Map<Cidr, Versioned> snapshot = new HashMap<>();
    String pattern = escapeGlob(keyPrefix) + "suppression:*";
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page =
          redis.scan(cursor, ScanArgs.Builder.matches(pattern).limit(SCAN_BATCH));
      List<RedisFuture<Map<String, String>>> hashes = new ArrayList<>();
      for (String key : page.getKeys()) {
        hashes.add(connection.async().hgetall(key));
      }
      for (int i = 0; i < hashes.size(); i++) {
        String key = page.getKeys().get(i);
        Versioned row = decodeQuietly(key, await(hashes.get(i)));
        if (row != null) {
          snapshot.put(row.suppression().prefix(), row);
        }
      }
      cursor = page;
    } while (!cursor.isFinished());
    Instant now = clock.instant();
    for (Versioned lost : mirror.reconcile(snapshot, now)) {
      Suppression s = lost.suppression();
      Long version = write(s, "", now); // only where the key is still missing
      if (version != null) {
        mirror.apply(new Versioned(s, version));
        log.info("{}: wrote back the suppression of {}, which Redis had lost", server, s.prefix());
      }
    }
    lastResync = started;
  }

  /**
   * When the mirror was last compared with Redis in full, successfully; null before the first.
   * Changes between resyncs arrive by pub/sub within a second; this bounds what a lost message can
   * hide.
   */
  @Nullable Instant lastResync() {
    return lastResync;
  }

  private <T> T await(RedisFuture<T> future) {
    try {
      return future.get(commandTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisException("interrupted", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RedisException r ? r : new RedisException(e.getCause());
    } catch (TimeoutException e) {
      throw new RedisException("no answer within " + commandTimeout, e);
    }
  }

  private String key(Cidr prefix) {
    return keyPrefix + "suppression:" + prefix;
  }

  private @Nullable Versioned decodeQuietly(String key, Map<String, String> hash) {
    String cidr = key.substring((keyPrefix + "suppression:").length());
    try {
      return decodeQuietly(Cidr.parse(cidr), hash);
    } catch (IllegalArgumentException e) {
      log.warn("{}: ignoring key {}: {}", server, key, e.getMessage());
      return null;
    }
  }

  private @Nullable Versioned decodeQuietly(Cidr prefix, Map<String, String> hash) {
    try {
      return decode(prefix, hash);
    } catch (IOException e) {
      log.warn("{}: ignoring {}: {}", server, key(prefix), e.getMessage());
      return null;
    }
  }

  /** The row in {@code hash}, or null when it is empty (no such key). */
  private @Nullable Versioned decode(Cidr prefix, Map<String, String> hash) throws IOException {
    if (hash.isEmpty()) {
      return null;
    }
    try {
      return new Versioned(
          new Suppression(
              prefix,
              Instant.parse(field(hash, "since")),
              Instant.parse(field(hash, "until")),
              field(hash, "reason").intern(), // a handful of verdicts, a million rows
              Integer.parseInt(field(hash, "offences")),
              field(hash, "evidence")),
          Long.parseLong(field(hash, "version")));
    } catch (RuntimeException e) {
      throw new IOException(key(prefix) + " cannot be read: " + e.getMessage(), e);
    }
  }

  private static String field(Map<String, String> hash, String name) {
    String value = hash.get(name);
    if (value == null) {
      throw new IllegalArgumentException("no field " + name);
    }
    return value;
  }

  /** The stored row if it still counts for a repeat offence at {@code now}. */
  private static @Nullable Suppression standing(@Nullable Suppression s, Instant now) {
    return s != null && SuppressionMirror.counts(s, now) ? s : null;
  }

  private static Suppression requireNonNull(@Nullable Suppression s) {
    if (s == null) {
      throw new IllegalStateException("offend and add always write");
    }
    return s;
  }

  private static void requirePositive(String name, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }

  /** {@code text} matched literally by a SCAN pattern. */
  private static String escapeGlob(String text) {
    return text.replaceAll("([*?\\[\\]\\\\])", "\\\\$1");
  }

  /** {@inheritDoc} From the mirror, which holds every row Redis has (as of its last sync). */
  @Override
  public List<Suppression> stored(Instant now) {
    return mirror.stored(now);
  }

  /**
   * {@inheritDoc} Written and published as {@link #add} writes, so every host's mirror has it.
   *
   * @throws UncheckedIOException when Redis cannot be read or written within the deadline
   */
  @Override
  public Optional<Suppression> restore(Suppression s, Instant now) {
    if (!SuppressionMirror.counts(s, now)) {
      return Optional.empty();
    }
    return Optional.ofNullable(
        change(s.prefix(), now, stored -> Suppression.merge(standing(stored, now), s)));
  }
}
