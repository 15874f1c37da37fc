package org.mxtrap.core;

import java.util.Locale;
import java.util.Objects;

/**
 * An RFC 5321 mailbox, {@code Local-part "@" Domain}. The local part is kept exactly as received
 * (it is case-sensitive in principle, RFC 5321 2.4), without the quotes of a quoted string; the
 * domain is kept in lower case. Syntax is checked by the SMTP command parser, not here.
 */
public record Mailbox(String localPart, String domain) {

  public Mailbox {
    Objects.requireNonNull(localPart, "localPart");
    Objects.requireNonNull(domain, "domain");
    domain = domain.toLowerCase(Locale.ROOT);
  }

  /**
   * The mailbox as one delivery target: the local part folded to lower case ({@link Locale#ROOT}),
   * as the Maildir folder name and the recipient list fold it. Two forward paths whose folded
   * mailboxes are equal reach the same mailbox ({@code Bob@}, {@code bob@} and {@code "bob"@}).
   */
  public Mailbox folded() {
    String folded = localPart.toLowerCase(Locale.ROOT);
    return folded.equals(localPart) ? this : new Mailbox(folded, domain);
  }

  /** {@code local@domain}, quoting the local part again where RFC 5321 requires it. */
  @Override
  public String toString() {
    return (isDotString(localPart) ? localPart : quote(localPart)) + "@" + domain;
  }

  private static boolean isDotString(String s) {
    if (s.isEmpty() || s.startsWith(".") || s.endsWith(".") || s.contains("..")) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '.' && !isAtext(c)) {
        return false;
      }
    }
    return true;
  }

  /** RFC 5322 atext, extended by RFC 6531 to every non-ASCII character. */
  public static boolean isAtext(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0
        || c >= 0x80;
  }

  /**
   * {@code s} as an RFC 5321 Quoted-string: in double quotes, with {@code "} and backslash escaped.
   */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.append('"').toString();
  }
}
