package org.mxtrap.admin;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.mxtrap.core.Cidr;

/**
 * The suppressions the admin API shows and edits: the host's suppression store, as admin sees it.
 * Thread-safe; changes are durable before a method returns.
 */
public interface Suppressions {

  /**
   * One suppression, as the API shows it.
   *
   * @param address the suppressed address, bare for a single address and as CIDR for a network
   *     ({@link #of})
   * @param since when it began (for a repeat offence: when the latest one began)
   * @param until when it ends; active while {@code now < until}
   * @param reason the verdict label that caused it ({@code mx-skip}, {@code manual}, ...)
   * @param offences how many offences it records
   * @param evidence a human-readable account of the latest offence
   */
  record Entry(
      String address, Instant since, Instant until, String reason, int offences, String evidence) {

    /** The entry of a suppression of {@code prefix}. */
    public static Entry of(
        Cidr prefix, Instant since, Instant until, String reason, int offences, String evidence) {
      return new Entry(AdminApi.text(prefix), since, until, reason, offences, evidence);
    }

    boolean activeAt(Instant now) {
      return !now.isBefore(since) && now.isBefore(until);
    }

    /**
     * {@code 192.0.2.7 until T (mx-skip, offence 1, since T): evidence}; "ended" when not active.
     */
    String describe(boolean active) {
      return address
          + (active ? " until " : " ended ")
          + until
          + " ("
          + reason
          + ", offence "
          + offences
          + ", since "
          + since
          + "): "
          + evidence;
    }
  }

  /** Every suppression active at {@code now}, by prefix. */
  List<Entry> active(Instant now);

  /** The active suppression that covers {@code address} at {@code now}; of several, the longest. */
  Optional<Entry> find(InetAddress address, Instant now);

  /** Every stored suppression, active or ended, whose prefix covers {@code address}. */
  List<Entry> history(InetAddress address);

  /**
   * An operator's suppression of {@code prefix} for exactly {@code duration} from {@code now},
   * replacing any current one of the same prefix.
   */
  Entry add(Cidr prefix, Instant now, Duration duration, String reason, String evidence);

  /**
   * Ends the suppression of exactly {@code prefix} at {@code now}.
   *
   * @return false when {@code prefix} was not suppressed at {@code now}
   */
  boolean remove(Cidr prefix, Instant now);
}
