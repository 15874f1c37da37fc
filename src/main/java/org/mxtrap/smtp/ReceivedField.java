package org.mxtrap.smtp;

import java.net.InetAddress;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mxtrap.core.Addresses;

/**
 * Reads the client's address out of a {@code Received:} field that a relay added (RFC 5321 4.4):
 * the address literal of its {@code from} clause's TCP information, as the MTAs write it:
 *
 * <pre>
 * Received: from helo.name (client.name [192.0.2.7]) by ...           Postfix, mxtrap, Sendmail
 * Received: from client.name ([192.0.2.7] helo=helo.name) by ...      Exim
 * Received: from [192.0.2.7] (helo=helo.name) by ...                  Exim, no reverse name
 * Received: from helo.name ([IPv6:2001:db8::7]) by ...
 * </pre>
 *
 * The HELO argument is the client's own claim, so an address literal in the HELO position (the word
 * right after {@code from}, unless nothing else names an address) or after {@code helo=} is passed
 * over in favour of one in the parenthesised comment.
 */
final class ReceivedField {
  private static final Pattern LITERAL =
      Pattern.compile("\\[(?:IPv6:)?([0-9A-Fa-f:.]+)\\]", Pattern.CASE_INSENSITIVE);
  private static final Pattern FROM_CLAUSE =
      Pattern.compile(
          "^Received:\\s*from\\s+(.*?)(?:\\sby\\s|;|$)", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

  private ReceivedField() {}

  /**
   * The client's address in {@code field} (one whole header field, folding and CRLF allowed), or
   * empty when the field is not a Received field or names no address.
   */
  static Optional<InetAddress> client(String field) {
    Matcher from = FROM_CLAUSE.matcher(field);
    if (!from.find()) {
      return Optional.empty();
    }
    String clause = from.group(1);
    int comment = clause.indexOf('(');
    Optional<InetAddress> inComment =
        comment < 0 ? Optional.empty() : firstLiteral(clause.substring(comment));
    return inComment.isPresent() ? inComment : firstLiteral(clause);
  }

  /** The first address literal in {@code text} that does not follow {@code helo=}. */
  private static Optional<InetAddress> firstLiteral(String text) {
    Matcher m = LITERAL.matcher(text);
    while (m.find()) {
      String before = text.substring(0, m.start()).toLowerCase(Locale.ROOT);
      if (before.endsWith("helo=")) {
        continue;
      }
      Optional<InetAddress> a = Addresses.parse(m.group(1));
      if (a.isPresent()) {
        return a;
      }
    }
    return Optional.empty();
  }
}
