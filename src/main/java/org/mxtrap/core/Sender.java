package org.mxtrap.core;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * What a client said of itself in its session, as far as the session got: its HELO or EHLO name and
 * its envelope sender (MAIL FROM). Evidence for a decision, and with the sender's domain an
 * identity that can excuse a fallback (SPF).
 *
 * @param helo the HELO/EHLO argument, or null when the session did not get that far
 * @param mailFrom the reverse-path's mailbox ({@code local@domain}), or null when none came or it
 *     was the null reverse-path
 */
public record Sender(@Nullable String helo, @Nullable String mailFrom) {

  /** Nothing said yet: the greeting. */
  public static final Sender NONE = new Sender(null, null);

  /** The domain of {@link #mailFrom}, lower case, or null. */
  public @Nullable String mailDomain() {
    String m = mailFrom;
    int at = m == null ? -1 : m.lastIndexOf('@');
    return m == null || at < 0 || at == m.length() - 1
        ? null
        : m.substring(at + 1).toLowerCase(Locale.ROOT);
  }
}
