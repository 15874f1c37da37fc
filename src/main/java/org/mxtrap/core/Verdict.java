package org.mxtrap.core;

import java.util.Locale;

/**
 * Why a connection got the answer it got: the {@code verdict} field of the decision log
 * (PRODUCT.md, "Decisions"). The engine reaches exactly one verdict per connection.
 */
public enum Verdict {
  /** No check objected: served normally. */
  ACCEPT,
  /** On the allow list: served normally, never suppressed. */
  ALLOWED,
  /** On a trap or backup, excused by a recent contact at a lower preference: served. */
  FALLBACK,
  /** On an armed trap with no excusing lower contact: a trap hit, the client is suppressed. */
  MX_SKIP,
  /** On a trap that is not armed: tempfailed, never suppressed. */
  DISARMED,
  /** On a backup with no lower contact while the primary was continuously available. */
  BACKUP_SKIP,
  /** Sent before the greeting: suppressed. */
  EARLY_TALKER,
  /** Under an active suppression. */
  SUPPRESSED,
  /** On the block list. */
  BLOCKED,
  /** DNSBL score at or above the threshold. */
  DNSBL,
  /** Asked for {@code recipients.max_unknown} unknown mailboxes in one session: suppressed. */
  DICTIONARY;

  /** {@code mx-skip}, {@code early-talker}: the name in logs, JSON and the CLI. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Parses {@link #label()}; throws IllegalArgumentException for anything else. */
  public static Verdict parse(String label) {
    for (Verdict v : values()) {
      if (v.label().equals(label)) {
        return v;
      }
    }
    throw new IllegalArgumentException("not a verdict: " + label);
  }
}
