package org.mxtrap.state.redis;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ZAddArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.state.BoundedIdentityHistory;
import org.mxtrap.state.IdentityHistory;

/**
 * The shared {@link IdentityHistory}: every host of a site records the identities of its contacts
 * in one Redis, so a pool member that tried the primary on one host excuses another member on a
 * trap served by another host. Alongside, each instance keeps what it recorded itself in a {@link
 * BoundedIdentityHistory}, what it answers from while Redis is away.
 *
 * <p><b>Keys</b> (under the caller's prefix {@code P}):
 *
 * <pre>
 * P identity:IDENTITY   hash   preference -> "SECONDS ADDRESS": the time (whole seconds since 1970)
 *                              and the client of the identity's last contact at that preference
 *                              TTL: the trap window, renewed by every contact of the identity
 * P identities          zset   IDENTITY, scored by the time of its last contact: the index that keeps
 *                              the identities within the capacity (the least recently recorded
 *                              evicted first, as in the embedded history)
 *                              TTL: the trap window, renewed by every contact
 * </pre>
 *
 * A contact is one step ({@code HSET}, {@code PEXPIRE}, {@code ZADD GT}, {@code PEXPIRE} and {@code
 * ZCARD} on the index, sent together), and one more past the capacity ({@code ZPOPMIN}, then {@code
 * DEL}); a lookup is one {@code HGETALL}. Hosts writing the same identity and preference at once:
 * the last write wins, its time a few moments from the other's. A client that names ever new sender
 * domains fills the index, never more. A failure is told to the stores' {@link Reachability} (the
 * view becomes partial, so nobody is suppressed for a missing contact); the identities recorded
 * meanwhile stay local and are not written later.
 */
final class RedisIdentityHistory implements IdentityHistory {
  private final BoundedIdentityHistory local;
  private final HistoryRedis redis;
  private final String prefix;
  private final String index;
  private final int capacity;
  private final Duration window;

  /**
   * @param capacity the most identities held, in Redis (by the site) and locally (by this host)
   * @param window how long a contact excuses ({@code trap.window}): the TTL of each key
   */
  RedisIdentityHistory(
      RedisClusterAsyncCommands<String, String> redis,
      Reachability reach,
      Duration timeout,
      String keyPrefix,
      int capacity,
      Duration window) {
    this.local = new BoundedIdentityHistory(capacity, window);
    this.redis = new HistoryRedis(redis, timeout, "the identity history", reach);
    this.prefix = keyPrefix;
    this.index = keyPrefix + "identities";
    this.capacity = capacity;
    this.window = window;
  }

  @Override
  public void record(String identity, InetAddress client, int preference, Instant at) {
    local.record(identity, client, preference, at);
    String key = prefix + "identity:" + identity;
    long deadline = redis.deadline();
    RedisFuture<Boolean> set =
        redis
            .commands()
            .hset(
                key,
                Integer.toString(preference),
                at.getEpochSecond() + " " + Addresses.text(client));
    RedisFuture<Boolean> expire = redis.commands().pexpire(key, window.toMillis());
    RedisFuture<Long> indexed =
        redis.commands().zadd(index, ZAddArgs.Builder.gt(), at.getEpochSecond(), identity);
    RedisFuture<Boolean> renewed = redis.commands().pexpire(index, window.toMillis());
    RedisFuture<Long> size = redis.commands().zcard(index);
    try {
      redis.await(deadline, set, expire, indexed, renewed, size);
      long excess = HistoryRedis.result(size) - capacity;
      if (excess > 0) {
        RedisFuture<List<ScoredValue<String>>> popped = redis.commands().zpopmin(index, excess);
        redis.await(deadline, popped);
        List<ScoredValue<String>> oldest = HistoryRedis.result(popped);
        if (!oldest.isEmpty()) {
          redis.await(
              deadline,
              redis
                  .commands()
                  .del(
                      oldest.stream()
                          .map(v -> prefix + "identity:" + v.getValue())
                          .toArray(String[]::new)));
        }
      }
    } catch (HistoryRedis.Unavailable e) {
      // Told to the reachability; this host's own record answers meanwhile.
    }
  }

  @Override
  public Optional<Sighting> lastBelow(String identity, int preference, Instant since) {
    long deadline = redis.deadline();
    RedisFuture<Map<String, String>> all =
        redis.commands().hgetall(prefix + "identity:" + identity);
    try {
      redis.await(deadline, all);
    } catch (HistoryRedis.Unavailable e) {
      return local.lastBelow(identity, preference, since);
    }
    Sighting latest = null;
    for (Map.Entry<String, String> f : HistoryRedis.result(all).entrySet()) {
      Sighting s = sighting(f.getValue());
      if (s != null
          && below(f.getKey(), preference)
          && !s.at().isBefore(since)
          && (latest == null || s.at().isAfter(latest.at()))) {
        latest = s;
      }
    }
    return Optional.ofNullable(latest);
  }

  /** Whether the field {@code field} is a preference below {@code preference}. */
  private static boolean below(String field, int preference) {
    try {
      return Integer.parseInt(field) < preference;
    } catch (NumberFormatException e) {
      return false; // not a field this class wrote
    }
  }

  /** {@code "SECONDS ADDRESS"}, or null for a value this class did not write. */
  private static @Nullable Sighting sighting(String value) {
    int space = value.indexOf(' ');
    if (space < 0) {
      return null;
    }
    try {
      Instant at = Instant.ofEpochSecond(Long.parseLong(value.substring(0, space)));
      return Addresses.parse(value.substring(space + 1)).map(a -> new Sighting(a, at)).orElse(null);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  @Override
  public long evictions() {
    return local.evictions();
  }
}
