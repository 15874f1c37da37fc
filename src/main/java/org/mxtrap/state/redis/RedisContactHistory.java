package org.mxtrap.state.redis;

import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScoredValueScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.ZAddArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.state.BoundedContactHistory;
import org.mxtrap.state.ContactHistory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared {@link ContactHistory}: every host of a site records its contacts in one Redis, so a
 * trap or backup host learns of a contact the primary recorded as soon as the primary has recorded
 * it. Alongside, each instance keeps the contacts it recorded itself in a {@link
 * BoundedContactHistory} of the same capacity, the local knowledge it serves on while Redis is
 * away.
 *
 * <p><b>Keys</b> (all under the caller's prefix, {@code P} below; times are whole seconds since
 * 1970, in decimal, kept and compared at that resolution as in {@link BoundedContactHistory}):
 *
 * <pre>
 * P contact:NETWORK   hash   preference -> time of the network's last contact at that preference
 *                            TTL: the trap window, renewed by every contact of the network
 * P contacts          zset   NETWORK, scored by the time of its last contact at any preference:
 *                            the index that keeps the networks within the capacity
 *                            TTL: the trap window, renewed by every contact
 * </pre>
 *
 * {@code NETWORK} is the client's address masked to its excuse prefix, in text: {@code
 * 192.0.2.0/24}, {@code 2001:db8:1:2::/64} (RFC 5952; an IPv4-mapped address is its IPv4 network).
 * What a decision reads, {@link #lastBelow}, is one key. A contact is one step, sent together and
 * awaited once: a Lua script on the network's hash that keeps the later time and renews the TTL,
 * and {@code ZADD GT}, {@code PEXPIRE} and {@code ZCARD} on the index. On a Cluster the index lives
 * on one node, which every contact writes; the hashes spread over all of them.
 *
 * <p>The script is sent with {@code EVAL} each time (a few hundred bytes), so a Redis restarted
 * without its script cache needs nothing resent; {@code ZADD GT} needs Redis 6.2 or later.
 *
 * <p><b>Capacity</b> is the site's: when the index holds more networks than {@code capacity}, the
 * instance that saw it pops those of the oldest last contact and deletes their hashes (two more
 * round trips, only at capacity) and counts them in {@link #evictions}. Two hosts that see it at
 * once may both evict, so a full history may drop a network or two more than it must.
 *
 * <p><b>Memory in Redis</b> (Redis 7.0, 64-bit, jemalloc; {@code used_memory} of {@code INFO
 * memory} before and after 100,000 IPv4 networks, measured by {@code RedisContactHistoryIT}): about
 * 180 bytes per network with one contact (its hash with a TTL and its index entry), and about 10
 * more for each further preference it contacted: some 190 MB for a million networks.
 *
 * <p><b>When Redis fails</b> (no answer within {@code timeout}, or an error): no method throws or
 * waits longer than {@code timeout} for it, and the failure makes the view partial ({@link
 * Reachability}). {@link #record} has recorded the contact locally first, so this host still knows
 * it; {@link #lastBelow} and {@link #contacts} answer from the local history alone, which lacks
 * what other hosts recorded. Those answers are always the later of the two histories'. A contact
 * that could not be written is kept for the recovery ({@link #replay}), which writes it when Redis
 * answers again, so the other hosts learn it too: at most {@link #MAX_UNWRITTEN} networks and
 * preferences (the latest time of each); beyond that, an outage's further contacts are known to
 * this host only, and counted in the log line of the recovery.
 *
 * <p>Thread-safe. Time comes only from the {@code at}, {@code since} and {@code now} arguments;
 * TTLs run on Redis's clock.
 */
public final class RedisContactHistory implements ContactHistory {
  private static final Logger log = LoggerFactory.getLogger("policy");
  private static final long WARNING_INTERVAL_SECONDS = 60;

  /** Contacts kept for the recovery at most: some 10 MB. */
  static final int MAX_UNWRITTEN = 100_000;

  /** Contacts written in one step of the recovery. */
  private static final int REPLAY_BATCH = 500;

  /** KEYS[1] a network's hash; ARGV: preference, time, TTL in ms. Keeps the later time. */
  private static final String RECORD =
      """
      local old = redis.call('HGET', KEYS[1], ARGV[1])
      if not old or tonumber(old) < tonumber(ARGV[2]) then
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
      end
      redis.call('PEXPIRE', KEYS[1], ARGV[3])
      return 0
      """;

  /** Networks read per round trip by {@link #each}. */
  private static final int EACH_BATCH = 1000;

  private final HistoryRedis redis;
  private final String prefix;
  private final String index;
  private final int excusePrefixV4;
  private final int excusePrefixV6;
  private final int capacity;
  private final Duration window;
  private final BoundedContactHistory local;
  private final AtomicLong evictions = new AtomicLong();
  private final AtomicLong nextWarning = new AtomicLong(Long.MIN_VALUE);
  // "NETWORK PREFERENCE" -> the latest time (seconds) of a contact Redis has not got
  private final ConcurrentHashMap<String, Long> unwritten = new ConcurrentHashMap<>();
  private final AtomicLong unkept = new AtomicLong();

  /**
   * @param redis commands of the site's Redis connection (see {@link HistoryRedis} for its options)
   * @param timeout the longest a call waits for Redis, positive: shorter than the greeting budget
   * @param keyPrefix what every key starts with ({@code state.redis.key_prefix}, e.g. {@code
   *     "mxtrap:"}); without braces, so that keys spread over a Cluster
   * @param excusePrefixV4 the IPv4 network length a contact excuses, 0..32
   * @param excusePrefixV6 the IPv6 network length a contact excuses, 0..128
   * @param capacity the most networks held, in Redis (by the site) and locally (by this host)
   * @param window how long a contact excuses ({@code trap.window}): the TTL of each key
   * @param preferences the layout's MX preferences: {@link #record} accepts only these
   * @param reach told of every failure; runs {@link #replay} when Redis answers again
   */
  RedisContactHistory(
      RedisClusterAsyncCommands<String, String> redis,
      Reachability reach,
      Duration timeout,
      String keyPrefix,
      int excusePrefixV4,
      int excusePrefixV6,
      int capacity,
      Duration window,
      int... preferences) {
    this.local =
        new BoundedContactHistory(excusePrefixV4, excusePrefixV6, capacity, window, preferences);
    this.redis = new HistoryRedis(redis, timeout, "the contact history", reach);
    reach.register(this::replay);
    this.prefix = keyPrefix;
    this.index = keyPrefix + "contacts";
    this.excusePrefixV4 = excusePrefixV4;
    this.excusePrefixV6 = excusePrefixV6;
    this.capacity = capacity;
    this.window = window;
  }

  /**
   * {@inheritDoc} Locally, then in Redis, before it returns.
   *
   * @throws IllegalArgumentException as {@link BoundedContactHistory#record} does
   */
  @Override
  public void record(InetAddress client, int preference, Instant at) {
    local.record(client, preference, at);
    String network = network(client);
    long seconds = at.getEpochSecond();
    try {
      share(network, preference, seconds);
    } catch (HistoryRedis.Unavailable e) {
      // The local history has the contact; the recovery writes it into Redis.
      if (unwritten.size() < MAX_UNWRITTEN) {
        unwritten.merge(network + " " + preference, seconds, Math::max);
      } else {
        unkept.incrementAndGet();
      }
    }
  }

  /**
   * Records the contact in Redis, one round trip, and evicts when the site's index is past its
   * capacity.
   */
  private void share(String network, int preference, long seconds) throws HistoryRedis.Unavailable {
    long deadline = redis.deadline();
    List<RedisFuture<?>> step = new ArrayList<>(List.of(write(network, preference, seconds)));
    RedisFuture<Long> size = renew(step);
    redis.await(deadline, step.toArray(RedisFuture<?>[]::new));
    evictBeyondCapacity(HistoryRedis.result(size), seconds, deadline);
  }

  /** The commands that write one contact (the network's hash and the index), sent, not awaited. */
  private RedisFuture<?>[] write(String network, int preference, long seconds) {
    var r = redis.commands();
    return new RedisFuture<?>[] {
      r.eval(
          RECORD,
          ScriptOutputType.INTEGER,
          new String[] {key(network)},
          Integer.toString(preference),
          Long.toString(seconds),
          Long.toString(window.toMillis())),
      r.zadd(index, ZAddArgs.Builder.gt(), seconds, network)
    };
  }

  /**
   * Adds to {@code step} the commands that renew the index's TTL and count it; returns the count.
   */
  private RedisFuture<Long> renew(List<RedisFuture<?>> step) {
    var r = redis.commands();
    step.add(r.pexpire(index, window.toMillis()));
    RedisFuture<Long> size = r.zcard(index);
    step.add(size);
    return size;
  }

  private void evictBeyondCapacity(long size, long seconds, long deadline)
      throws HistoryRedis.Unavailable {
    if (size > capacity) {
      evict(size - capacity, seconds, deadline);
    }
  }

  /**
   * The recovery: writes the contacts that could not be written while Redis was away, {@link
   * #REPLAY_BATCH} at a time, each batch within the deadline.
   *
   * @return how many were written
   * @throws IllegalStateException when Redis fails again; what is not written yet stays kept
   */
  long replay() {
    long written = 0;
    long latest = 0;
    List<Map.Entry<String, Long>> batch = new ArrayList<>(REPLAY_BATCH);
    Iterator<Map.Entry<String, Long>> it = unwritten.entrySet().iterator();
    try {
      while (it.hasNext()) {
        batch.clear();
        List<RedisFuture<?>> step = new ArrayList<>();
        while (it.hasNext() && batch.size() < REPLAY_BATCH) {
          Map.Entry<String, Long> e = it.next();
          batch.add(Map.entry(e.getKey(), e.getValue())); // a snapshot: the map may change
        }
        for (Map.Entry<String, Long> e : batch) {
          String[] np = e.getKey().split(" ", 2);
          step.addAll(List.of(write(np[0], Integer.parseInt(np[1]), e.getValue())));
          latest = Math.max(latest, e.getValue());
        }
        redis.await(redis.deadline(), step.toArray(RedisFuture<?>[]::new));
        for (Map.Entry<String, Long> e : batch) {
          unwritten.remove(e.getKey(), e.getValue()); // unless a later contact came meanwhile
        }
        written += batch.size();
      }
      if (written > 0) {
        long deadline = redis.deadline();
        List<RedisFuture<?>> step = new ArrayList<>();
        RedisFuture<Long> size = renew(step);
        redis.await(deadline, step.toArray(RedisFuture<?>[]::new));
        evictBeyondCapacity(HistoryRedis.result(size), latest, deadline);
      }
    } catch (HistoryRedis.Unavailable e) {
      throw new IllegalStateException("contacts not all written: " + e.getMessage(), e);
    }
    long lost = unkept.getAndSet(0);
    if (lost > 0) {
      log.warn(
          "{} contacts of the outage were not kept for Redis (more than {}): this host knew them,"
              + " the others did not",
          lost,
          MAX_UNWRITTEN);
    }
    return written;
  }

  private void evict(long excess, long seconds, long deadline) throws HistoryRedis.Unavailable {
    var r = redis.commands();
    RedisFuture<List<ScoredValue<String>>> popped = r.zpopmin(index, excess);
    redis.await(deadline, popped);
    List<ScoredValue<String>> oldest = HistoryRedis.result(popped);
    if (oldest.isEmpty()) {
      return; // another host evicted them
    }
    redis.await(
        deadline, r.del(oldest.stream().map(v -> key(v.getValue())).toArray(String[]::new)));
    long count = evictions.addAndGet(oldest.size());
    long next = nextWarning.get();
    if (seconds >= next && nextWarning.compareAndSet(next, seconds + WARNING_INTERVAL_SECONDS)) {
      log.warn(
          "shared contact history full at its capacity of {} networks: {} evicted by this host"
              + " since start, the least recently seen first; a sender evicted within the trap"
              + " window is trapped if it then falls back to a trap. Raise state.max_contacts",
          capacity,
          count);
    }
  }

  /** {@inheritDoc} One round trip to Redis, unless no preference is lower. */
  @Override
  public Optional<Instant> lastBelow(InetAddress client, int preference, Instant since) {
    Optional<Instant> mine = local.lastBelow(client, preference, since);
    long last = 0;
    for (Map.Entry<Integer, Instant> c : shared(client, preference).entrySet()) {
      if (c.getKey() < preference) {
        last = Math.max(last, c.getValue().getEpochSecond());
      }
    }
    if (last == 0 || last < since.getEpochSecond()) {
      return mine;
    }
    Instant theirs = Instant.ofEpochSecond(last);
    return mine.filter(m -> m.isAfter(theirs)).or(() -> Optional.of(theirs));
  }

  /** {@inheritDoc} In ascending order of preference; the later time of Redis's and the local. */
  @Override
  public Map<Integer, Instant> contacts(InetAddress client) {
    TreeMap<Integer, Instant> merged = new TreeMap<>(shared(client, Integer.MAX_VALUE));
    local.contacts(client).forEach((p, at) -> merged.merge(p, at, (a, b) -> a.isAfter(b) ? a : b));
    return Collections.unmodifiableMap(merged);
  }

  /**
   * The contacts of {@code client}'s network in Redis; none when no preference is below {@code
   * below} or Redis fails.
   */
  private Map<Integer, Instant> shared(InetAddress client, int below) {
    if (below <= 0) {
      return Map.of();
    }
    RedisFuture<Map<String, String>> all = redis.commands().hgetall(key(network(client)));
    try {
      redis.await(redis.deadline(), all);
    } catch (HistoryRedis.Unavailable e) {
      return Map.of();
    }
    TreeMap<Integer, Instant> byPreference = new TreeMap<>();
    HistoryRedis.result(all)
        .forEach(
            (p, seconds) ->
                byPreference.put(
                    Integer.parseInt(p), Instant.ofEpochSecond(Long.parseLong(seconds))));
    return byPreference;
  }

  /** Networks evicted from Redis by this instance to keep the site within capacity. */
  @Override
  public long evictions() {
    return evictions.get();
  }

  /**
   * {@inheritDoc} Locally, and in Redis it drops from the index the networks last seen before the
   * window (their hashes expire by themselves).
   */
  @Override
  public void maintain(Instant now) {
    local.maintain(now);
    long limit = now.minus(window).getEpochSecond();
    try {
      redis.await(
          redis.deadline(),
          redis
              .commands()
              .zremrangebyscore(
                  index, Range.from(Range.Boundary.unbounded(), Range.Boundary.excluding(limit))));
    } catch (HistoryRedis.Unavailable e) {
      // logged once per outage by HistoryRedis; the next call does it
    }
  }

  private String key(String network) {
    return prefix + "contact:" + network;
  }

  /** {@code 192.0.2.0/24}, {@code 2001:db8:1:2::/64}: the masked address and the prefix length. */
  private String network(InetAddress client) {
    byte[] b = Addresses.unmap(client).getAddress();
    int bits = b.length == 4 ? excusePrefixV4 : excusePrefixV6;
    for (int i = 0; i < b.length; i++) {
      int keep = Math.clamp(bits - 8L * i, 0, 8);
      b[i] &= (byte) (0xff00 >>> keep);
    }
    return Addresses.text(Addresses.byAddress(b)) + "/" + bits;
  }

  /**
   * {@inheritDoc}
   *
   * <p>First what Redis holds: {@code ZSCAN} of the index, {@value #EACH_BATCH} networks at a time,
   * with one {@code HGETALL} per network sent together and awaited within one deadline; where this
   * host holds a later time of the same network and preference, that one is left for the second
   * part. Then this host's own contacts that Redis lacks or has earlier (recorded while Redis was
   * away), checked with one {@code HGET} each, a batch at a time. A network's hash that expired
   * between the scan and its read is skipped. SCAN may return a network twice when the index grows
   * during the walk; its contacts are then listed twice, which {@link #restore} takes as once.
   */
  @Override
  public void each(Instant since, Consumer<Contact> sink) {
    long limit = since.getEpochSecond();
    var r = redis.commands();
    try {
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        long deadline = redis.deadline();
        RedisFuture<ScoredValueScanCursor<String>> page =
            r.zscan(index, cursor, ScanArgs.Builder.limit(EACH_BATCH));
        redis.await(deadline, page);
        ScoredValueScanCursor<String> networks = HistoryRedis.result(page);
        List<String> recent =
            networks.getValues().stream()
                .filter(v -> v.getScore() >= limit)
                .map(ScoredValue::getValue)
                .toList();
        List<RedisFuture<Map<String, String>>> hashes =
            recent.stream().map(n -> r.hgetall(key(n))).toList();
        redis.await(deadline, hashes.toArray(RedisFuture<?>[]::new));
        for (int i = 0; i < recent.size(); i++) {
          Cidr network = Cidr.parse(recent.get(i));
          Map<Integer, Instant> mine = local.contacts(network.network());
          new TreeMap<>(HistoryRedis.result(hashes.get(i)))
              .forEach(
                  (p, seconds) -> {
                    Instant at = Instant.ofEpochSecond(Long.parseLong(seconds));
                    int preference = Integer.parseInt(p);
                    Instant local = mine.get(preference);
                    if (at.getEpochSecond() >= limit && (local == null || !local.isAfter(at))) {
                      sink.accept(new Contact(network, preference, at));
                    }
                  });
        }
        cursor = networks;
      } while (!cursor.isFinished());
      List<Contact> batch = new ArrayList<>(EACH_BATCH);
      local.each(
          since,
          c -> {
            batch.add(c);
            if (batch.size() == EACH_BATCH) {
              onlyHere(batch, sink);
            }
          });
      onlyHere(batch, sink);
    } catch (HistoryRedis.Unavailable e) {
      throw unreadable(e);
    }
  }

  /** Hands {@code sink} those of {@code batch} that Redis lacks or has earlier; empties it. */
  private void onlyHere(List<Contact> batch, Consumer<Contact> sink) {
    var r = redis.commands();
    List<RedisFuture<String>> shared =
        batch.stream()
            .map(c -> r.hget(key(c.network().toString()), Integer.toString(c.preference())))
            .toList();
    try {
      redis.await(redis.deadline(), shared.toArray(RedisFuture<?>[]::new));
    } catch (HistoryRedis.Unavailable e) {
      throw unreadable(e);
    }
    for (int i = 0; i < batch.size(); i++) {
      String seconds = HistoryRedis.result(shared.get(i));
      Contact c = batch.get(i);
      if (seconds == null || Long.parseLong(seconds) < c.at().getEpochSecond()) {
        sink.accept(c);
      }
    }
    batch.clear();
  }

  private static UncheckedIOException unreadable(HistoryRedis.Unavailable e) {
    return new UncheckedIOException(
        new IOException("cannot read the shared contact history: " + e.getMessage(), e));
  }

  /**
   * {@inheritDoc} Locally and in Redis, as {@link #record} does; the key's TTL starts again at the
   * trap window, longer than an older contact needs, which no lookup notices.
   *
   * @throws UncheckedIOException when Redis does not take it within the deadline (unlike {@link
   *     #record}, which goes on with the local history alone): an import must not seem to succeed
   */
  @Override
  public void restore(Contact contact) {
    local.restore(contact); // refuses a network wider than the excuse prefix before anything
    InetAddress first = contact.network().network();
    try {
      share(network(first), contact.preference(), contact.at().getEpochSecond());
    } catch (HistoryRedis.Unavailable e) {
      throw new UncheckedIOException(
          new IOException("cannot record in the shared contact history: " + e.getMessage(), e));
    }
  }
}
