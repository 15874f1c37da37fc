package org.mxtrap.observe;

import java.util.HexFormat;

/**
 * The little JSON this program writes (decision log, admin API): string quoting per RFC 8259. An
 * object is built by hand with {@link #quote}; numbers and booleans are written as they are. {@link
 * #unquote} reads a string literal back (the admin CLI reads the API's error messages with it).
 */
public final class Json {
  private Json() {}

  /** {@code s} as a JSON string literal, quotes included; control characters escaped. */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /**
   * The string a JSON string literal (quotes included) stands for: the inverse of {@link #quote},
   * and of any other RFC 8259 string literal.
   *
   * @throws IllegalArgumentException when {@code literal} is not exactly one string literal
   */
  public static String unquote(String literal) {
    int n = literal.length();
    if (n < 2 || literal.charAt(0) != '"' || literal.charAt(n - 1) != '"') {
      throw new IllegalArgumentException("not a JSON string: " + literal);
    }
    StringBuilder b = new StringBuilder(n);
    for (int i = 1; i < n - 1; i++) {
      char c = literal.charAt(i);
      if (c == '"' || c < 0x20) {
        throw new IllegalArgumentException("not a JSON string: " + literal);
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (++i == n - 1) {
        throw new IllegalArgumentException("not a JSON string: " + literal);
      }
      char e = literal.charAt(i);
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          if (i + 4 >= n - 1) {
            throw new IllegalArgumentException("not a JSON string: " + literal);
          }
          // fromHexDigits refuses anything but four hex digits (no sign, unlike parseInt)
          b.append((char) HexFormat.fromHexDigits(literal, i + 1, i + 5));
          i += 4;
        }
        default -> throw new IllegalArgumentException("not a JSON string: " + literal);
      }
    }
    return b.toString();
  }
}
