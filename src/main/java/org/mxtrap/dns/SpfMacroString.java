package org.mxtrap.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.mxtrap.core.Addresses;

/**
 * A macro-string of an SPF record (RFC 7208 section 7), parsed once with the record and expanded
 * for each check.
 *
 * <p>Syntax (7.1): literal characters {@code %x21-24 / %x26-7E}; {@code %%}, {@code %_} and {@code
 * %-} for {@code %}, a space and {@code %20}; and {@code %{letter digits r delimiters}}, where the
 * letter is one of {@code s l o d i p h v} ({@code c r t} only outside a domain-spec, since they
 * belong to explanations), upper case for a URL-escaped value, the digits (not zero) keep that many
 * parts from the right, {@code r} reverses the parts first, and the delimiters ({@code .-+,/_=},
 * default {@code .}) split the value into parts, which are joined again with dots (7.3).
 */
final class SpfMacroString {

  /** The top label a domain-spec ends with when it does not end with a macro (7.1 toplabel). */
  private static final Pattern DOMAIN_END =
      Pattern.compile(
          ".*\\.([a-zA-Z0-9]*[a-zA-Z][a-zA-Z0-9]*|[a-zA-Z0-9]+-[a-zA-Z0-9-]*[a-zA-Z0-9])\\.?");

  private static final String DELIMITERS = ".-+,/_=";

  private sealed interface Part {}

  private record Literal(String text) implements Part {}

  /**
   * {@code %{...}}.
   *
   * @param letter lower case
   * @param escaped whether the value is URL-escaped (the letter was upper case)
   * @param keep how many parts to keep from the right; 0 for all
   */
  private record Macro(char letter, boolean escaped, int keep, boolean reverse, String delimiters)
      implements Part {}

  /**
   * What the letters stand for in one check_host (7.3).
   *
   * @param sender {@code s}: the sender, {@code local-part@domain}
   * @param domain {@code d}: the domain whose record is evaluated
   * @param ip {@code i}, {@code v}: the client's address
   * @param helo {@code h}: the HELO or EHLO name
   * @param validatedName {@code p}: called only when the macro is used; may end the check
   */
  record Values(
      String sender, String domain, InetAddress ip, String helo, Supplier<String> validatedName) {}

  private final List<Part> parts;
  private final String text;

  private SpfMacroString(List<Part> parts, String text) {
    this.parts = parts;
    this.text = text;
  }

  /** A domain-spec: a macro-string that ends with a macro or with a top label (7.1). */
  static SpfMacroString domainSpec(String text) throws SpfRecord.SyntaxError {
    SpfMacroString m = parse(text, false);
    boolean endsWithMacro = !m.parts.isEmpty() && m.parts.getLast() instanceof Macro;
    if (!endsWithMacro && !DOMAIN_END.matcher(text).matches()) {
      throw new SpfRecord.SyntaxError("not a domain-spec: " + text);
    }
    return m;
  }

  /**
   * Parses any macro-string, such as an unknown modifier's value.
   *
   * @param explanation whether the letters {@code c r t} are allowed (outside a domain-spec)
   */
  static SpfMacroString parse(String text, boolean explanation) throws SpfRecord.SyntaxError {
    List<Part> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new SpfRecord.SyntaxError("a character outside visible ASCII in " + text);
      }
      if (c != '%') {
        literal.append(c);
        continue;
      }
      char next = i + 1 < text.length() ? text.charAt(i + 1) : ' ';
      switch (next) {
        case '%' -> literal.append('%');
        case '_' -> literal.append(' ');
        case '-' -> literal.append("%20");
        case '{' -> {
          int close = text.indexOf('}', i);
          if (close < 0) {
            throw new SpfRecord.SyntaxError("unclosed macro in " + text);
          }
          if (!literal.isEmpty()) {
            parts.add(new Literal(literal.toString()));
            literal.setLength(0);
          }
          parts.add(macro(text.substring(i + 2, close), explanation, text));
          i = close - 1; // the i++ below and the loop's step past the '}'
        }
        default -> throw new SpfRecord.SyntaxError("'%' not followed by %, _, - or { in " + text);
      }
      i++; // past the character after '%'
    }
    if (!literal.isEmpty()) {
      parts.add(new Literal(literal.toString()));
    }
    return new SpfMacroString(List.copyOf(parts), text);
  }

  /** The inside of {@code %{...}}: a letter, digits, {@code r}, delimiters. */
  private static Macro macro(String inside, boolean explanation, String text)
      throws SpfRecord.SyntaxError {
    if (inside.isEmpty()) {
      throw new SpfRecord.SyntaxError("empty macro in " + text);
    }
    char letter = Character.toLowerCase(inside.charAt(0));
    if ("slodiphv".indexOf(letter) < 0 && !(explanation && "crt".indexOf(letter) >= 0)) {
      throw new SpfRecord.SyntaxError("unknown macro letter '" + inside.charAt(0) + "' in " + text);
    }
    int i = 1;
    int keep = 0;
    while (i < inside.length() && inside.charAt(i) >= '0' && inside.charAt(i) <= '9') {
      keep = Math.min(keep * 10 + (inside.charAt(i) - '0'), 1000); // more than any name has
      i++;
    }
    if (i > 1 && keep == 0) {
      throw new SpfRecord.SyntaxError("a macro keeps zero parts in " + text);
    }
    boolean reverse = i < inside.length() && Character.toLowerCase(inside.charAt(i)) == 'r';
    String delimiters = inside.substring(reverse ? i + 1 : i);
    for (char d : delimiters.toCharArray()) {
      if (DELIMITERS.indexOf(d) < 0) {
        throw new SpfRecord.SyntaxError("'" + d + "' is not a macro delimiter in " + text);
      }
    }
    return new Macro(letter, Character.isUpperCase(inside.charAt(0)), keep, reverse, delimiters);
  }

  /** The text with every macro replaced by its value. */
  String expand(Values values) {
    StringBuilder out = new StringBuilder();
    for (Part p : parts) {
      switch (p) {
        case Literal l -> out.append(l.text());
        case Macro m -> out.append(expand(m, values));
      }
    }
    return out.toString();
  }

  private static String expand(Macro m, Values v) {
    String value =
        switch (m.letter()) {
          case 's' -> v.sender();
          case 'l' -> v.sender().substring(0, v.sender().lastIndexOf('@'));
          case 'o' -> v.sender().substring(v.sender().lastIndexOf('@') + 1);
          case 'd' -> v.domain();
          case 'i' -> dotted(v.ip());
          case 'p' -> v.validatedName().get();
          case 'v' -> v.ip() instanceof Inet4Address ? "in-addr" : "ip6";
          case 'h' -> v.helo();
          default -> throw new IllegalStateException("an explanation macro, never expanded");
        };
    String delimiters = m.delimiters().isEmpty() ? "." : m.delimiters();
    List<String> split = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < value.length(); i++) {
      if (delimiters.indexOf(value.charAt(i)) >= 0) {
        split.add(value.substring(start, i));
        start = i + 1;
      }
    }
    split.add(value.substring(start));
    if (m.reverse()) {
      Collections.reverse(split);
    }
    List<String> kept =
        m.keep() == 0 || m.keep() >= split.size()
            ? split
            : split.subList(split.size() - m.keep(), split.size());
    String joined = String.join(".", kept);
    return m.escaped() ? urlEscaped(joined) : joined;
  }

  /** {@code i}: an IPv4 address in dotted quad, an IPv6 address as 32 dotted nibbles (7.3). */
  private static String dotted(InetAddress ip) {
    InetAddress a = Addresses.unmap(ip);
    if (a instanceof Inet4Address) {
      return Addresses.text(a);
    }
    StringBuilder out = new StringBuilder(63);
    for (byte b : a.getAddress()) {
      out.append(Character.forDigit((b >> 4) & 0xf, 16)).append('.');
      out.append(Character.forDigit(b & 0xf, 16)).append('.');
    }
    return out.substring(0, out.length() - 1);
  }

  /** RFC 3986 percent-encoding of all but the unreserved characters. */
  private static String urlEscaped(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || "-._~".indexOf(c) >= 0) {
        out.append(c);
      } else {
        out.append('%').append(String.format(Locale.ROOT, "%02X", b & 0xff));
      }
    }
    return out.toString();
  }

  /** The macro-string as written. */
  @Override
  public String toString() {
    return text;
  }
}
