package org.mxtrap.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.mxtrap.core.Mailbox;

/**
 * The syntax of the recipients file ({@code recipients.file}, {@code recipients.mode: list}): the
 * mailboxes of our domains that exist. UTF-8 text, one entry a line:
 *
 * <pre>
 * # the people
 * alice@example.com
 * Bob.Smith@example.com          # text after whitespace and # is a comment
 * "john doe"@example.com         # a quoted local part, as RFC 5321 writes it
 * {@literal @}example.net                   # catch-all: every local part of example.net exists
 * </pre>
 *
 * <p>Blank lines and lines starting with {@code #} are ignored. A local part is a dot-string (RFC
 * 5321 {@code atext} and dots, UTF-8 allowed as RFC 6531 does) or a quoted string (with {@code \"}
 * and {@code \\} escapes; the quotes are not part of the mailbox). A domain is written as {@code
 * domains} are ({@link DomainNames}), and must be one of them: mail for another domain is refused
 * before the list is asked, so such a line could never match. How entries are compared (case,
 * quoting) is the business of the list that holds them, not of this syntax.
 *
 * <p>Refused lines: anything that is not one address or {@code @domain}; an empty local part, or
 * one with {@code @}, {@code %} or {@code !} (the relay check refuses those as routing, RFC 5321
 * appendix C, so they can never be accepted). A file with any refused line is refused whole.
 * Stateless.
 */
public final class RecipientFile {
  private RecipientFile() {}

  /** At most this many refused lines are listed; a count stands for the rest. */
  static final int MAX_LISTED = 20;

  /** A line the file cannot use. */
  public record BadLine(int line, String message) {}

  /**
   * What a file lists.
   *
   * @param mailboxes the addresses, local parts without quotes, domains canonical
   * @param domains the catch-all domains, canonical
   * @param bad the refused lines, by line; the file is usable only when there are none (the {@link
   *     #MAX_LISTED} first, then one line with line number 0 counting the others)
   */
  public record Contents(List<Mailbox> mailboxes, List<String> domains, List<BadLine> bad) {
    public Contents {
      mailboxes = List.copyOf(mailboxes);
      domains = List.copyOf(domains);
      bad = List.copyOf(bad);
    }
  }

  /**
   * Reads {@code file} (strict UTF-8).
   *
   * @param accepted the {@code domains} of the config; empty: not checked
   * @throws IOException when it cannot be read, or is not UTF-8
   */
  public static Contents read(Path file, Collection<String> accepted) throws IOException {
    String text =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(Files.readAllBytes(file)))
            .toString();
    return parse(text, accepted);
  }

  /**
   * Parses the text of a recipients file.
   *
   * @param accepted the {@code domains} of the config; empty: not checked
   */
  public static Contents parse(String text, Collection<String> accepted) {
    List<Mailbox> mailboxes = new ArrayList<>();
    List<String> domains = new ArrayList<>();
    List<BadLine> bad = new ArrayList<>();
    int refused = 0;
    List<String> lines = text.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        Object entry = entry(line, accepted);
        if (entry instanceof Mailbox m) {
          mailboxes.add(m);
        } else {
          domains.add((String) entry);
        }
      } catch (IllegalArgumentException e) {
        if (++refused <= MAX_LISTED) {
          bad.add(new BadLine(i + 1, Objects.requireNonNullElse(e.getMessage(), e.toString())));
        }
      }
    }
    if (refused > MAX_LISTED) {
      bad.add(new BadLine(0, "and " + (refused - MAX_LISTED) + " more lines refused"));
    }
    return new Contents(mailboxes, domains, bad);
  }

  /** One line, stripped, not a comment: a {@link Mailbox} or a catch-all domain. */
  private static Object entry(String line, Collection<String> accepted) {
    int end = tokenEnd(line);
    String rest = line.substring(end).strip();
    if (!rest.isEmpty() && !rest.startsWith("#")) {
      throw new IllegalArgumentException(
          "one address or @domain a line (a comment after it starts with #): " + line);
    }
    String token = line.substring(0, end);
    if (token.startsWith("@")) {
      return domain(token.substring(1), accepted, token);
    }
    String local;
    int at;
    if (token.startsWith("\"")) {
      StringBuilder b = new StringBuilder();
      int i = 1;
      for (; i < token.length() && token.charAt(i) != '"'; i++) {
        char c = token.charAt(i);
        if (c == '\\' && i + 1 < token.length()) {
          c = token.charAt(++i);
        }
        if (Character.isISOControl(c)) {
          throw new IllegalArgumentException("a control character in the local part: " + token);
        }
        b.append(c);
      }
      if (i >= token.length()) {
        throw new IllegalArgumentException("unterminated quoted local part: " + token);
      }
      at = i + 1;
      if (at >= token.length() || token.charAt(at) != '@') {
        throw new IllegalArgumentException(
            "not an address: " + token + " (expected @domain after the quoted local part)");
      }
      local = b.toString();
    } else {
      at = token.lastIndexOf('@');
      if (at < 0) {
        throw new IllegalArgumentException(
            "not an address: " + token + " (write local@domain, or @domain for a catch-all)");
      }
      local = token.substring(0, at);
      if (!local.isEmpty() && !isDotString(local)) {
        throw new IllegalArgumentException(
            "not a valid local part: " + local + " (quote it: \"" + local + "\"@...)");
      }
    }
    if (local.isEmpty()) {
      throw new IllegalArgumentException("an empty local part is never accepted at RCPT: " + token);
    }
    if (local.indexOf('@') >= 0 || local.indexOf('%') >= 0 || local.indexOf('!') >= 0) {
      throw new IllegalArgumentException(
          "a local part with @, % or ! is never accepted at RCPT (the relay check refuses"
              + " them as routing): "
              + token);
    }
    return new Mailbox(local, domain(token.substring(at + 1), accepted, token));
  }

  /** Where the address of {@code line} ends: at whitespace outside a quoted string. */
  private static int tokenEnd(String line) {
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted && c == '\\') {
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && Character.isWhitespace(c)) {
        return i;
      }
    }
    return line.length();
  }

  private static String domain(String text, Collection<String> accepted, String token) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("no domain after @: " + token);
    }
    String d = DomainNames.canonical(text);
    if (!accepted.isEmpty() && !accepted.contains(d)) {
      throw new IllegalArgumentException(
          d + " is not one of domains (" + String.join(", ", accepted) + "): " + token);
    }
    return d;
  }

  private static boolean isDotString(String s) {
    if (s.startsWith(".") || s.endsWith(".") || s.contains("..")) {
      return false;
    }
    return s.codePoints().allMatch(c -> c == '.' || Mailbox.isAtext(c));
  }
}
