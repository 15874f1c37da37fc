package org.mxtrap.state.redis;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.state.AvailabilityHistory;

/**
 * The shared {@link AvailabilityHistory}: the outages of every primary and backup entry, as all
 * hosts of a site record them, in one Redis. A trap host judges arming from what the primary's own
 * host recorded. The semantics are those of {@code FileAvailabilityHistory}: a fresh history starts
 * with every entry unavailable until seen {@link #up}; the time from the last heartbeat ({@link
 * #maintain}, by any host) until an instance opens is an outage of every entry; outages less than
 * {@link #MERGE_GAP} apart are one.
 *
 * <p><b>Keys</b> (under the caller's prefix {@code P}; all in the hash slot of {@code
 * {availability}}, so that the scripts below, and on a Cluster one decision's reads, touch one
 * node; times are milliseconds since 1970 in decimal):
 *
 * <pre>
 * P{availability}:history          hash  since -> start of the history
 *                                        heartbeat -> the last {@link #maintain} of any host
 *                                        served:PREF:ADDR -> the last {@link #maintain} of the
 *                                          host serving that entry (deleted at its {@link #close})
 * P{availability}:entry:PREF:ADDR  list  the outages of an entry, oldest first, each
 *                                        "FROM TO REASON" (TO "-" while it lasts), e.g.
 *                                        "1767225600000 1767225660000 refused"
 * </pre>
 *
 * {@code ADDR} is the entry's {@code address:port} ({@code [2001:db8::1]:25} for IPv6). Every key
 * has the TTL {@code retain}, renewed by each write and each heartbeat, so a history no host keeps
 * for that long disappears whole (the history hash outlives the lists: every write renews it too).
 * An entry without a list while the history exists is unavailable from {@code since}, "not observed
 * yet": so is a new entry of the layout. A list keeps its last outage even after it ended longer
 * ago than {@code retain}, so an empty list never stands for "always available".
 *
 * <p><b>The serving host's word.</b> Besides the outages that any host records (probes, an entry
 * turning everyone away), the host that serves a primary or backup entry says that it is there:
 * each of its heartbeats writes the entry's {@code served:} field. When that field lags the site's
 * {@code heartbeat} by more than {@link #SILENT}, the serving host has written nothing for that
 * long although others have: it is stopped, or cut off from Redis, and the contacts it records are
 * not shared. {@link #outages} then adds an ongoing outage of the entry from its last word, so no
 * trap or backup above it arms on a view that lacks its contacts, however well it answers probes.
 * An entry no mxtrap serves (another MTA) has no such field and is judged by the probes alone.
 *
 * <p><b>When Redis fails</b> (no answer within {@code timeout}, or an error), no method throws, and
 * no Redis call waits longer than {@code timeout}: {@link #outages}, {@link #down} and {@link #up}
 * make one (a write may first wait for another, since writes are serialized), {@link #maintain} one
 * and, after an outage of Redis, one per entry it writes again. {@link #outages} then answers that
 * the entry is unavailable from {@code from} on (the view is partial: no trap arms on it). {@link
 * #down} and {@link #up} that could not be written are kept here and written at the next {@link
 * #maintain} that reaches Redis: the first lost outage of each entry from its start, then the
 * entry's last {@code up} if it came after. That may join outages an {@code up} separated, never
 * claim availability. If Redis comes back empty (restarted without persistence), the history starts
 * again, fresh, and what this instance last saw of each entry is written into it. An instance that
 * cannot reach Redis at open starts with {@code since} its open time and opens at the first {@link
 * #maintain} that reaches Redis.
 *
 * <p>Thread-safe. Time comes only from the arguments; TTLs run on Redis's clock. {@link #close}
 * leaves the connection, which is the caller's, open.
 */
public final class RedisAvailabilityHistory implements AvailabilityHistory {
  static final Duration MERGE_GAP = Duration.ofSeconds(1);

  /**
   * How far a serving host's word may lag the site's heartbeat before its entry counts as
   * unavailable: hosts beat every second ({@link #maintain}), so five missed beats.
   */
  static final Duration SILENT = Duration.ofSeconds(5);

  /**
   * Shared by the scripts: KEYS[1] the history hash, KEYS[2] an entry's list. Returns -1 when the
   * history is gone; gives an entry without a list its first outage; reads the last outage.
   */
  private static final String LAST_OUTAGE =
      """
      local since = redis.call('HGET', KEYS[1], 'since')
      if not since then return -1 end
      if redis.call('LLEN', KEYS[2]) == 0 then
        redis.call('RPUSH', KEYS[2], since .. ' - not observed yet')
      end
      local from, to, reason =
        string.match(redis.call('LINDEX', KEYS[2], -1), '^(%d+) (%S+) (.*)$')
      """;

  /** ARGV: at, reason, merge gap, TTL (ms). */
  private static final String DOWN =
      LAST_OUTAGE
          + """
          if to ~= '-' then
            if tonumber(ARGV[1]) <= tonumber(to) + tonumber(ARGV[3]) then
              redis.call('LSET', KEYS[2], -1, from .. ' - ' .. reason)
            else
              redis.call('RPUSH', KEYS[2], ARGV[1] .. ' - ' .. ARGV[2])
            end
          end
          redis.call('PEXPIRE', KEYS[1], ARGV[4])
          redis.call('PEXPIRE', KEYS[2], ARGV[4])
          return 0
          """;

  /** ARGV: at, TTL (ms). An up before the outage began ends it where it began. */
  private static final String UP =
      LAST_OUTAGE
          + """
          if to == '-' then
            local at = ARGV[1]
            if tonumber(at) < tonumber(from) then at = from end
            redis.call('LSET', KEYS[2], -1, from .. ' ' .. at .. ' ' .. reason)
          end
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          redis.call('PEXPIRE', KEYS[2], ARGV[2])
          return 0
          """;

  /**
   * KEYS[1] the history hash, KEYS[2..] every entry's list; ARGV: now, TTL, horizon (ms), then the
   * {@code served:} fields of this host's entries. Beats, renews every TTL and forgets the outages
   * that ended before the horizon, except each list's last.
   */
  private static final String MAINTAIN =
      """
      if not redis.call('HGET', KEYS[1], 'since') then return -1 end
      redis.call('HSET', KEYS[1], 'heartbeat', ARGV[1])
      for i = 4, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], ARGV[1]) end
      redis.call('PEXPIRE', KEYS[1], ARGV[2])
      for i = 2, #KEYS do
        while redis.call('LLEN', KEYS[i]) > 1 do
          local to = string.match(redis.call('LINDEX', KEYS[i], 0), '^%d+ (%S+) ')
          if to == '-' or tonumber(to) >= tonumber(ARGV[3]) then break end
          redis.call('LPOP', KEYS[i])
        end
        redis.call('PEXPIRE', KEYS[i], ARGV[2])
      end
      return 0
      """;

  private final HistoryRedis redis;
  private final String historyKey;
  private final Map<LayoutEntry, String> keys = new LinkedHashMap<>();
  private final List<String> servedFields;
  private final String ttl;
  private final Duration retain;
  private volatile Instant since;
  private volatile boolean opened;

  /** What this instance saw of each entry; guarded by {@code this}, as every write is. */
  private final Map<LayoutEntry, Seen> seen = new LinkedHashMap<>();

  private boolean unwritten;

  /**
   * The entry's first outage that Redis lacks, and its last {@code up} unless a down came after.
   */
  private static final class Seen {
    @Nullable Instant lostDown;
    String lostReason = "";
    @Nullable Instant up;
  }

  private RedisAvailabilityHistory(
      HistoryRedis redis,
      String keyPrefix,
      Layout layout,
      Set<LayoutEntry> served,
      Instant now,
      Duration retain) {
    this.redis = redis;
    this.historyKey = keyPrefix + "{availability}:history";
    for (LayoutEntry e : layout.entries()) {
      if (e.role() != Role.TRAP) {
        keys.put(e, keyPrefix + "{availability}:entry:" + name(e));
      }
    }
    this.servedFields =
        keys.keySet().stream().filter(served::contains).map(e -> "served:" + name(e)).toList();
    this.retain = retain;
    this.ttl = Long.toString(retain.toMillis());
    this.since = now;
  }

  /**
   * Opens the site's history in Redis (a fresh one if there is none) and marks the time since its
   * last heartbeat as unobserved. Never fails for Redis: see the class comment.
   *
   * @param redis commands of the site's Redis connection (see {@link HistoryRedis} for its options)
   * @param timeout the longest a call waits for Redis, positive: shorter than the greeting budget
   * @param keyPrefix what every key starts with ({@code state.redis.key_prefix})
   * @param served the entries this host serves, for which its heartbeats speak
   * @param retain how far back outages matter ({@code trap.arm_after}): the TTL of every key
   * @param reach told of every failure; its recovery writes what Redis missed
   */
  static RedisAvailabilityHistory open(
      RedisClusterAsyncCommands<String, String> redis,
      Reachability reach,
      Duration timeout,
      String keyPrefix,
      Layout layout,
      Set<LayoutEntry> served,
      Instant now,
      Duration retain) {
    if (retain.isNegative() || retain.isZero()) {
      throw new IllegalArgumentException("retain must be positive: " + retain);
    }
    var h =
        new RedisAvailabilityHistory(
            new HistoryRedis(redis, timeout, "the availability history", reach),
            keyPrefix,
            layout,
            served,
            now,
            retain);
    h.reopen(now);
    reach.register(
        () -> {
          h.writeUnwritten();
          return 0;
        });
    return h;
  }

  @Override
  public Instant since() {
    return since;
  }

  /**
   * {@inheritDoc} Writes are serialized (they are rare: an entry's changes), so what is written
   * again after an outage never overtakes a newer event.
   */
  @Override
  public synchronized void down(LayoutEntry e, Instant at, String reason) {
    String key = keys.get(e);
    if (key == null) {
      return;
    }
    String why = reason.replace('\n', ' ');
    Seen s = seen.computeIfAbsent(e, x -> new Seen());
    s.up = null;
    if (!write(DOWN, key, ms(at), why, Long.toString(MERGE_GAP.toMillis()), ttl)
        && s.lostDown == null) {
      s.lostDown = at;
      s.lostReason = why;
      unwritten = true;
    }
  }

  @Override
  public synchronized void up(LayoutEntry e, Instant at) {
    String key = keys.get(e);
    if (key == null) {
      return;
    }
    seen.computeIfAbsent(e, x -> new Seen()).up = at;
    unwritten |= !write(UP, key, ms(at), ttl);
  }

  /** Runs {@code script} on the history and {@code entry}; false when it could not. */
  private boolean write(String script, String entry, String... args) {
    RedisFuture<Long> done =
        redis
            .commands()
            .eval(script, ScriptOutputType.INTEGER, new String[] {historyKey, entry}, args);
    try {
      redis.await(redis.deadline(), done);
    } catch (HistoryRedis.Unavailable ex) {
      return false;
    }
    if (HistoryRedis.result(done) < 0) {
      opened = false; // the history is gone: the next maintain starts it again
      return false;
    }
    return true;
  }

  /**
   * {@inheritDoc} One round trip. While the shared history cannot be read, one ongoing outage from
   * {@code from}.
   */
  @Override
  public List<Outage> outages(LayoutEntry e, Instant from) {
    String key = keys.get(e);
    if (key == null) {
      return List.of();
    }
    var r = redis.commands();
    RedisFuture<String> start = r.hget(historyKey, "since");
    RedisFuture<List<String>> list = r.lrange(key, 0, -1);
    RedisFuture<List<KeyValue<String, String>>> words =
        r.hmget(historyKey, "heartbeat", "served:" + name(e));
    try {
      redis.await(redis.deadline(), start, list, words);
    } catch (HistoryRedis.Unavailable ex) {
      return List.of(new Outage(from, null, "shared availability unknown: " + ex.getMessage()));
    }
    @Nullable String begun = HistoryRedis.result(start);
    if (begun == null) {
      opened = false; // the history is gone: the next maintain starts it again
    }
    if (!opened || begun == null) {
      return List.of(new Outage(from, null, "shared availability history not open"));
    }
    List<String> lines = HistoryRedis.result(list);
    if (lines.isEmpty()) {
      lines = List.of(begun + " - not observed yet");
    }
    List<Outage> outages = new ArrayList<>();
    for (String line : lines) {
      String[] f = line.split(" ", 3);
      Instant to = f[1].equals("-") ? null : instant(f[1]);
      if (to == null || !to.isBefore(from)) {
        outages.add(new Outage(instant(f[0]), to, f[2]));
      }
    }
    List<KeyValue<String, String>> w = HistoryRedis.result(words);
    if (w.get(0).hasValue() && w.get(1).hasValue()) {
      Instant site = instant(w.get(0).getValue());
      Instant word = instant(w.get(1).getValue());
      if (Duration.between(word, site).compareTo(SILENT) > 0) {
        outages = silentFrom(outages, word.isBefore(from) ? from : word);
      }
    }
    return outages;
  }

  /**
   * {@code outages} (oldest first, not overlapping) with one more, ongoing from {@code word}: the
   * serving host has said nothing since. Those that end after it began are swallowed.
   */
  private static List<Outage> silentFrom(List<Outage> outages, Instant word) {
    List<Outage> out = new ArrayList<>();
    Instant start = word;
    String why = "its own host has written nothing to the shared state since " + word;
    for (Outage o : outages) {
      if (o.to() != null && o.to().isBefore(word)) {
        out.add(o);
      } else if (o.from().isBefore(start)) {
        start = o.from();
        why = o.reason() + "; then " + why;
      }
    }
    out.add(new Outage(start, null, why));
    return out;
  }

  /**
   * {@inheritDoc} The heartbeat of the whole site: any host's keeps the history observed. Opens the
   * history if it is not yet (Redis was away at open, or came back empty), and writes what Redis
   * missed while away.
   */
  @Override
  public void maintain(Instant now) {
    if (!opened) {
      reopen(now);
    } else if (beat(now)) {
      writeUnwritten();
    } else if (!opened) {
      reopen(now);
    }
  }

  /**
   * Runs {@link #MAINTAIN}: true when done, false when Redis failed or the history is gone (then
   * {@link #opened} is false).
   */
  private boolean beat(Instant now) {
    List<String> all = new ArrayList<>();
    all.add(historyKey);
    all.addAll(keys.values());
    List<String> args = new ArrayList<>(List.of(ms(now), ttl, ms(now.minus(retain))));
    args.addAll(servedFields);
    RedisFuture<Long> done =
        redis
            .commands()
            .eval(
                MAINTAIN,
                ScriptOutputType.INTEGER,
                all.toArray(String[]::new),
                args.toArray(String[]::new));
    try {
      redis.await(redis.deadline(), done);
    } catch (HistoryRedis.Unavailable ex) {
      return false;
    }
    if (HistoryRedis.result(done) < 0) {
      opened = false;
      return false;
    }
    return true;
  }

  /**
   * Opens the shared history, fresh when Redis has none, else with the time since its last
   * heartbeat as an outage of every entry; then writes what this instance saw and Redis lacks.
   */
  private void reopen(Instant now) {
    var r = redis.commands();
    long deadline = redis.deadline();
    RedisFuture<Boolean> fresh = r.hsetnx(historyKey, "since", ms(now));
    RedisFuture<String> start = r.hget(historyKey, "since");
    RedisFuture<String> beat = r.hget(historyKey, "heartbeat");
    RedisFuture<Boolean> expiry = r.pexpire(historyKey, retain.toMillis());
    try {
      redis.await(deadline, fresh, start, beat, expiry);
    } catch (HistoryRedis.Unavailable ex) {
      return;
    }
    Instant begun = instant(Objects.requireNonNull(HistoryRedis.result(start)));
    @Nullable String lastBeat = HistoryRedis.result(beat);
    since = begun;
    opened = true;
    if (!HistoryRedis.result(fresh)) {
      Instant heartbeat = lastBeat == null ? begun.minusNanos(1) : instant(lastBeat);
      boolean usable = !heartbeat.isBefore(begun) && !heartbeat.isAfter(now);
      String why =
          usable
              ? "mxtrap was not running (last heartbeat " + heartbeat + ")"
              : "mxtrap was not running (no usable heartbeat)";
      Instant gapFrom = usable ? heartbeat : begun;
      for (String key : keys.values()) {
        write(DOWN, key, ms(gapFrom), why, Long.toString(MERGE_GAP.toMillis()), ttl);
      }
    }
    synchronized (this) {
      unwritten = !seen.isEmpty();
      writeUnwritten();
    }
    beat(now);
  }

  /** Writes the outages Redis missed and each entry's last {@code up} this instance saw. */
  synchronized void writeUnwritten() {
    if (!unwritten) {
      return;
    }
    unwritten = false;
    for (Map.Entry<LayoutEntry, Seen> me : List.copyOf(seen.entrySet())) {
      Seen s = me.getValue();
      Instant lost = s.lostDown;
      Instant up = s.up;
      s.lostDown = null;
      if (lost != null) {
        down(me.getKey(), lost, s.lostReason); // lost again: unwritten again
      }
      if (up != null) {
        up(me.getKey(), up);
      }
    }
  }

  /**
   * This host no longer speaks for the entries it served: their {@code served:} fields are deleted
   * (within the deadline, if Redis answers), so a host stopped for good does not leave its entries
   * unavailable. Leaves the connection open: it is the caller's.
   */
  @Override
  public void close() {
    if (servedFields.isEmpty()) {
      return;
    }
    try {
      redis.await(
          redis.deadline(), redis.commands().hdel(historyKey, servedFields.toArray(String[]::new)));
    } catch (HistoryRedis.Unavailable ex) {
      // Its entries stay unavailable until a host serves them again, as for a crash.
    }
  }

  /** {@code PREF:ADDR}: {@code 10:192.0.2.1:25}, {@code 20:[2001:db8::1]:25}. */
  private static String name(LayoutEntry e) {
    return e.preference() + ":" + Addresses.literal(e.address(), e.port());
  }

  private static String ms(Instant t) {
    return Long.toString(t.toEpochMilli());
  }

  private static Instant instant(String ms) {
    return Instant.ofEpochMilli(Long.parseLong(ms));
  }
}
