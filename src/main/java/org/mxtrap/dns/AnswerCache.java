package org.mxtrap.dns;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Answers by name and type, each kept until its TTL runs out: {@link Answer.Found} for the TTL of
 * its records, {@link Answer.NotFound} for its negative TTL (RFC 2308), both capped. {@link
 * Answer.Unknown} is never kept: the next lookup asks again. A hit returns the answer with the TTL
 * that remains. Bounded: beyond {@code capacity} entries the least recently used goes.
 *
 * <p>Our own rather than dnsjava's {@code Cache} because it keeps whole answers (CNAMEs followed,
 * outcome decided) and takes a {@link Clock}, so tests move time instead of waiting. Thread-safe.
 */
final class AnswerCache {

  /** A lookup: the name lower case and absolute (with the final dot), and the record type. */
  record Key(String name, int type) {
    Key {
      Objects.requireNonNull(name, "name");
    }
  }

  private record Kept(Answer<?> answer, Instant expires) {}

  private final Clock clock;
  private final Duration maxTtl;
  private final Duration maxNegativeTtl;
  private final Map<Key, Kept> entries;

  /**
   * @param capacity the most entries kept
   * @param maxTtl the longest a found answer is kept, whatever its TTL
   * @param maxNegativeTtl the longest a not-found answer is kept
   */
  AnswerCache(Clock clock, int capacity, Duration maxTtl, Duration maxNegativeTtl) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive: " + capacity);
    }
    this.clock = clock;
    this.maxTtl = maxTtl;
    this.maxNegativeTtl = maxNegativeTtl;
    this.entries =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Key, Kept> eldest) {
            return size() > capacity;
          }
        };
  }

  /** The kept answer with the TTL that remains, or null when there is none or it ran out. */
  synchronized @Nullable Answer<?> get(Key key) {
    Kept e = entries.get(key);
    if (e == null) {
      return null;
    }
    Duration remaining = Duration.between(clock.instant(), e.expires());
    if (remaining.isNegative() || remaining.isZero()) {
      entries.remove(key);
      return null;
    }
    return switch (e.answer()) {
      case Answer.Found<?> f -> new Answer.Found<>(f.values(), remaining, f.aliases());
      case Answer.NotFound<?> n -> new Answer.NotFound<>(n.absence(), remaining, n.aliases());
      case Answer.Unknown<?> u -> u;
    };
  }

  /** Keeps {@code answer} for its TTL (capped); an unknown answer or a TTL of zero is not kept. */
  synchronized void put(Key key, Answer<?> answer) {
    Duration ttl =
        switch (answer) {
          case Answer.Found<?> f -> min(f.ttl(), maxTtl);
          case Answer.NotFound<?> n -> min(n.ttl(), maxNegativeTtl);
          case Answer.Unknown<?> u -> Duration.ZERO;
        };
    if (ttl.isNegative() || ttl.isZero()) {
      return;
    }
    entries.put(key, new Kept(answer, clock.instant().plus(ttl)));
  }

  synchronized int size() {
    return entries.size();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
