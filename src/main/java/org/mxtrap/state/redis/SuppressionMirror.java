package org.mxtrap.state.redis;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Cidr;
import org.mxtrap.state.PrefixMap;
import org.mxtrap.state.Suppression;
import org.mxtrap.state.SuppressionStore;

/**
 * This host's copy of the suppressions in Redis, where {@link RedisSuppressionStore} answers every
 * lookup without the network. Each entry carries the version Redis gave its write; an update older
 * than the entry it would replace is dropped, so writes seen out of order (a store's own write
 * returning after another host's newer one was published, a resync snapshot read before a change)
 * never bring back an older row.
 *
 * <p>Reads never wait; updates are serialised by the monitor.
 */
final class SuppressionMirror {

  /** A row as stored in Redis, and the version of the write that stored it. */
  record Versioned(Suppression suppression, long version) {}

  private final PrefixMap<Versioned> index = new PrefixMap<>();

  /** Takes {@code row} unless the mirror holds a newer or the same version of its prefix. */
  synchronized void apply(Versioned row) {
    Versioned held = index.get(row.suppression().prefix());
    if (held == null || held.version() < row.version()) {
      index.put(row.suppression().prefix(), row);
    }
  }

  /**
   * Brings the mirror in line with {@code snapshot}, every row read from Redis by one scan: its
   * rows are applied; a held row the scan did not see is dropped when it counts for nothing any
   * more at {@code now}, and otherwise returned, for the caller to put back into Redis (which lost
   * it, or had not yet stored it when the scan passed).
   */
  synchronized List<Versioned> reconcile(Map<Cidr, Versioned> snapshot, Instant now) {
    snapshot.values().forEach(this::apply);
    List<Versioned> unseen =
        index.values().filter(v -> !snapshot.containsKey(v.suppression().prefix())).toList();
    unseen.stream().filter(v -> !counts(v.suppression(), now)).forEach(this::drop);
    return unseen.stream().filter(v -> counts(v.suppression(), now)).toList();
  }

  /**
   * Takes {@code s}, which Redis has not got yet, over whatever the mirror holds of its prefix: as
   * the next version of the held row, so a snapshot of that row does not undo it, and any write
   * Redis versions later does.
   */
  synchronized void applyLocal(Suppression s) {
    Versioned held = index.get(s.prefix());
    index.put(s.prefix(), new Versioned(s, held == null ? 0 : held.version() + 1));
  }

  /** The row held of exactly {@code prefix}, or null. */
  synchronized @Nullable Suppression get(Cidr prefix) {
    Versioned held = index.get(prefix);
    return held == null ? null : held.suppression();
  }

  /** Drops the rows that count for nothing any more at {@code now}. */
  synchronized void purge(Instant now) {
    index.values().filter(v -> !counts(v.suppression(), now)).toList().forEach(this::drop);
  }

  private void drop(Versioned v) {
    index.remove(v.suppression().prefix());
  }

  /** See {@link SuppressionStore#find}: ends last wins, a tie goes to the longest prefix. */
  Optional<Suppression> find(InetAddress address, Instant now) {
    Suppression found = null;
    for (Versioned v : index.covering(address)) { // longest prefix first: it wins a tie
      Suppression s = v.suppression();
      if (s.activeAt(now) && (found == null || s.until().isAfter(found.until()))) {
        found = s;
      }
    }
    return Optional.ofNullable(found);
  }

  List<Suppression> active(Instant now) {
    return index
        .values()
        .map(Versioned::suppression)
        .filter(s -> s.activeAt(now))
        .sorted(Suppression.BY_PREFIX)
        .toList();
  }

  int count(Instant now) {
    return (int) index.values().filter(v -> v.suppression().activeAt(now)).count();
  }

  /** Longest prefix first. */
  List<Suppression> history(InetAddress address) {
    return index.covering(address).stream().map(Versioned::suppression).toList();
  }

  /** Whether {@code s} still counts for a repeat offence at {@code now}. */
  static boolean counts(Suppression s, Instant now) {
    return now.isBefore(s.until().plus(SuppressionStore.REPEAT_WINDOW));
  }

  /** Every row that still counts at {@code now}, by prefix. */
  List<Suppression> stored(Instant now) {
    return index
        .values()
        .map(Versioned::suppression)
        .filter(s -> counts(s, now))
        .sorted(Suppression.BY_PREFIX)
        .toList();
  }
}
