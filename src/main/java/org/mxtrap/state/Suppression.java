package org.mxtrap.state;

import java.time.Instant;
import java.util.Objects;
import org.mxtrap.core.Cidr;

/**
 * One suppression: a client address or network refused on every listener from {@code since} until
 * {@code until} (exclusive). Kept after it ends, so a repeat offence can double the next one and
 * {@code explain} can tell the history.
 *
 * @param prefix the suppressed address ({@code /32}, {@code /128}) or network
 * @param since when it began (for a repeat offence: when the latest one began)
 * @param until when it ends; the suppression is active while {@code now < until}
 * @param reason the verdict label that caused it ({@code mx-skip}, {@code early-talker}, {@code
 *     manual}, ...)
 * @param offences how many offences it records (1 for a first one; a manual entry counts as one)
 * @param evidence a human-readable account of the latest offence: layout entry, missing lower
 *     contact, operator note
 */
public record Suppression(
    Cidr prefix, Instant since, Instant until, String reason, int offences, String evidence) {

  public Suppression {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(until, "until");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(evidence, "evidence");
    if (offences < 1) {
      throw new IllegalArgumentException("offences must be at least 1: " + offences);
    }
  }

  /** True while the suppression is in force: {@code since <= now < until}. */
  public boolean activeAt(Instant now) {
    return !now.isBefore(since) && now.isBefore(until);
  }
}
