package org.mxtrap.core;

import java.util.Locale;

/**
 * What a connection is answered, the {@code action} field of the decision log. The SMTP server and
 * the Postfix policy server each turn it into their own words at the edge.
 */
public enum Action {
  /** Served normally: the greeting is 220. */
  ACCEPT,
  /** {@code 421} instead of the greeting, then close: the sender keeps the mail and retries. */
  TEMPFAIL,
  /** {@code 554} instead of the greeting, then only QUIT (RFC 5321 3.1). */
  REJECT,
  /** A tempfail that trickles out slowly, holding the sender's connection, not our threads. */
  TARPIT;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@link #label()}; throws IllegalArgumentException for anything else. */
  public static Action parse(String label) {
    for (Action a : values()) {
      if (a.label().equals(label)) {
        return a;
      }
    }
    throw new IllegalArgumentException("not an action: " + label);
  }
}
