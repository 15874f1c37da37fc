package org.mxtrap.state;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.mxtrap.core.Cidr;

/**
 * Suppressed clients, by address or network. Lookups ({@link #find}) are answered from memory and
 * are cheap enough to run on every connection; changes are durable before the method returns.
 * Expiry is exact: a suppression is active while {@code now < until}, whatever a background purge
 * has or has not done yet. Thread-safe.
 *
 * <p>Ended suppressions are kept for {@link #REPEAT_WINDOW} after they end, so a repeat offence
 * doubles, then purged.
 *
 * <p>{@code SuppressionStoreContract} in the tests holds every implementation to this.
 */
public interface SuppressionStore extends AutoCloseable {

  /** An offence within this long of the end of the previous suppression counts as a repeat. */
  Duration REPEAT_WINDOW = Duration.ofDays(7);

  /**
   * The active suppression that covers {@code address} at {@code now}, if any; when several do, the
   * one that ends last.
   */
  Optional<Suppression> find(InetAddress address, Instant now);

  /**
   * Records an offence by {@code prefix} and suppresses it. A first offence (no suppression of the
   * same prefix that was active or ended within {@link #REPEAT_WINDOW} before {@code now}) lasts
   * {@code base}; each repeat doubles the previous duration, up to {@code max}; {@code offences}
   * counts up. An offence while still suppressed extends it the same way.
   *
   * @return the suppression now in force
   */
  Suppression offend(
      Cidr prefix, Instant now, Duration base, Duration max, String reason, String evidence);

  /**
   * An operator's suppression of {@code prefix} for exactly {@code duration} from {@code now},
   * replacing any current one of the same prefix (its offence count is kept and increased).
   */
  Suppression add(Cidr prefix, Instant now, Duration duration, String reason, String evidence);

  /**
   * Ends the suppression of exactly {@code prefix} at {@code now} (its history is kept).
   *
   * @return false when {@code prefix} was not suppressed at {@code now}
   */
  boolean remove(Cidr prefix, Instant now);

  /** Every suppression active at {@code now}, by prefix. */
  List<Suppression> active(Instant now);

  /**
   * How many suppressions are active at {@code now}: {@code active(now).size()}. A store answering
   * from memory counts without building and sorting the list (the metrics ask at every scrape).
   */
  default int count(Instant now) {
    return active(now).size();
  }

  /** Every stored suppression, active or ended, whose prefix covers {@code address}. */
  List<Suppression> history(InetAddress address);

  /**
   * Purges the suppressions that ended {@link #REPEAT_WINDOW} or more before {@code now}, which
   * count for nothing any more (a store that expires them by itself may do nothing). Lookups never
   * depend on it. Call it every few minutes.
   *
   * @throws UncheckedIOException when the store cannot be written; then nothing is purged
   */
  void maintain(Instant now);

  @Override
  void close();

  /**
   * Every stored suppression that still counts at {@code now} (active, or ended less than {@link
   * #REPEAT_WINDOW} before it), in {@link Suppression#BY_PREFIX} order: what {@code mxtrap state
   * export} writes. Answered from memory.
   */
  List<Suppression> stored(Instant now);

  /**
   * Stores {@code s} as another store exported it, merged with the stored suppression of the same
   * prefix by {@link Suppression#merge}; a stored one that no longer counts at {@code now} is
   * replaced. Durable (and, for a shared store, seen by every host) as {@link #add} is.
   *
   * @return the suppression of the prefix now stored; empty, and nothing stored, when {@code s}
   *     itself counts for nothing at {@code now} (it ended {@link #REPEAT_WINDOW} or more before)
   */
  Optional<Suppression> restore(Suppression s, Instant now);
}
