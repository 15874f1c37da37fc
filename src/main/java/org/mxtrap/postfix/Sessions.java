package org.mxtrap.postfix;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The answer of each SMTP session Postfix asks about, by its {@code instance}: Postfix asks at
 * several stages and once per recipient, and the session is one contact, as with the built-in
 * server. The first request of a session starts the decision; every later one gets the action it
 * came to.
 *
 * <p>Bounded: at most {@code max} sessions, each kept for {@code maxAge}, the oldest forgotten
 * first. A session forgotten while it still runs is asked about again, which records a second
 * contact and gets the same answer the engine gives anybody in its place. Thread-safe.
 */
final class Sessions {
  private record Entry(CompletableFuture<String> action, Instant at) {}

  private final int max;
  private final Duration maxAge;
  private final Clock clock;
  // Insertion order: the eldest is the oldest session.
  private final LinkedHashMap<String, Entry> byInstance = new LinkedHashMap<>();

  Sessions(int max, Duration maxAge, Clock clock) {
    this.max = max;
    this.maxAge = maxAge;
    this.clock = clock;
  }

  /**
   * The action of session {@code key}: the one it came to already, or {@code fresh} when the
   * session is new or forgotten, which the caller then completes. A decision that failed is kept
   * like any other: the session gets the default action until it ends.
   */
  synchronized CompletableFuture<String> action(String key, CompletableFuture<String> fresh) {
    Instant now = clock.instant();
    Instant oldest = now.minus(maxAge);
    for (Iterator<Entry> i = byInstance.values().iterator(); i.hasNext(); ) {
      if (i.next().at().isAfter(oldest)) {
        break;
      }
      i.remove();
    }
    Entry e = byInstance.get(key);
    if (e == null) {
      e = new Entry(fresh, now);
      byInstance.put(key, e);
      if (byInstance.size() > max) {
        Iterator<Map.Entry<String, Entry>> eldest = byInstance.entrySet().iterator();
        eldest.next();
        eldest.remove();
      }
    }
    return e.action();
  }

  synchronized int size() {
    return byInstance.size();
  }
}
