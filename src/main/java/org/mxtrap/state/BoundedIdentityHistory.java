package org.mxtrap.state;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The embedded {@link IdentityHistory}: identities in the order they were last recorded, the one
 * recorded least recently evicted first past {@code capacity}, and those not recorded within the
 * trap window dropped as new contacts come. The identities of a site's senders number in the
 * thousands (one per sending organisation), so one lock serves. Thread-safe.
 */
public final class BoundedIdentityHistory implements IdentityHistory {
  private final int capacity;
  private final Duration window;
  // In the order of the last record: the eldest is the identity recorded least recently.
  private final LinkedHashMap<String, TreeMap<Integer, Sighting>> byIdentity =
      new LinkedHashMap<>();
  private long evictions;

  /**
   * @param capacity the most identities held, at least 1
   * @param window how long a contact excuses ({@code trap.window}), positive
   */
  public BoundedIdentityHistory(int capacity, Duration window) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
    }
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("window must be positive: " + window);
    }
    this.capacity = capacity;
    this.window = window;
  }

  @Override
  public synchronized void record(String identity, InetAddress client, int preference, Instant at) {
    TreeMap<Integer, Sighting> seen = byIdentity.remove(identity);
    if (seen == null) {
      seen = new TreeMap<>();
    }
    byIdentity.put(identity, seen);
    Sighting before = seen.get(preference);
    if (before == null || before.at().isBefore(at)) {
      seen.put(preference, new Sighting(client, at));
    }
    dropStale(at.minus(window));
    while (byIdentity.size() > capacity) {
      Iterator<String> eldest = byIdentity.keySet().iterator();
      eldest.next();
      eldest.remove();
      evictions++;
    }
  }

  @Override
  public synchronized Optional<Sighting> lastBelow(String identity, int preference, Instant since) {
    TreeMap<Integer, Sighting> seen = byIdentity.get(identity);
    if (seen == null) {
      return Optional.empty();
    }
    Sighting latest = null;
    for (Sighting s : seen.headMap(preference, false).values()) {
      if (!s.at().isBefore(since) && (latest == null || s.at().isAfter(latest.at()))) {
        latest = s;
      }
    }
    return Optional.ofNullable(latest);
  }

  @Override
  public synchronized long evictions() {
    return evictions;
  }

  /**
   * Drops, from the least recently recorded end, the identities whose every contact is older than
   * {@code oldest}; stops at the first one that still counts.
   */
  private void dropStale(Instant oldest) {
    for (Iterator<Map.Entry<String, TreeMap<Integer, Sighting>>> i =
            byIdentity.entrySet().iterator();
        i.hasNext(); ) {
      boolean stale = true;
      for (Sighting s : i.next().getValue().values()) {
        if (!s.at().isBefore(oldest)) {
          stale = false;
          break;
        }
      }
      if (!stale) {
        return;
      }
      i.remove();
    }
  }
}
