package org.mxtrap.state;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
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

  /** The order suppressions are listed in: IPv4 first, then by network address, then length. */
  public static final Comparator<Suppression> BY_PREFIX =
      Comparator.comparing(
          Suppression::prefix,
          Comparator.<Cidr>comparingInt(p -> p.isV4() ? 0 : 1)
              .thenComparing(p -> p.network().getAddress(), Arrays::compareUnsigned)
              .thenComparingInt(Cidr::length));

  /**
   * What an offence at {@code now} makes of {@code prefix}, the rule of {@link
   * SuppressionStore#offend}: a first one (no {@code previous}) lasts {@code base}; a repeat twice
   * as long as the previous one, at least {@code base}, at most {@code max}, and never ending
   * before an active one it replaces; the offence count goes on from {@code previous}.
   *
   * @param previous the prefix's row that still counts for a repeat, or null
   */
  public static Suppression offence(
      @Nullable Suppression previous,
      Cidr prefix,
      Instant now,
      Duration base,
      Duration max,
      String reason,
      String evidence) {
    Duration duration = base;
    if (previous != null) {
      Duration last = Duration.between(previous.since(), previous.until());
      Duration doubled = last.compareTo(max) >= 0 ? max : last.multipliedBy(2);
      duration = doubled.compareTo(base) > 0 ? doubled : base;
    }
    if (duration.compareTo(max) > 0) {
      duration = max;
    }
    Instant until = now.plus(duration);
    if (previous != null && previous.activeAt(now) && previous.until().isAfter(until)) {
      until = previous.until();
    }
    int offences = previous == null ? 1 : previous.offences() + 1;
    return new Suppression(prefix, now, until, reason, offences, evidence);
  }

  /** True while the suppression is in force: {@code since <= now < until}. */
  public boolean activeAt(Instant now) {
    return !now.isBefore(since) && now.isBefore(until);
  }

  /**
   * What importing {@code imported} makes of the {@code stored} suppression of the same prefix
   * (null for none): the one that ends later, its since, reason and evidence with it (the stored
   * one on a tie), with the larger of the two offence counts.
   */
  public static Suppression merge(@Nullable Suppression stored, Suppression imported) {
    if (stored == null) {
      return imported;
    }
    if (!stored.prefix().equals(imported.prefix())) {
      throw new IllegalArgumentException(
          "merging " + imported.prefix() + " into " + stored.prefix());
    }
    Suppression later = imported.until().isAfter(stored.until()) ? imported : stored;
    return new Suppression(
        later.prefix(),
        later.since(),
        later.until(),
        later.reason(),
        Math.max(stored.offences(), imported.offences()),
        later.evidence());
  }
}
