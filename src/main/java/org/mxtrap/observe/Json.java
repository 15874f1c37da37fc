package org.mxtrap.observe;

/**
 * The little JSON this program writes (decision log, admin API): string quoting per RFC 8259. An
 * object is built by hand with {@link #quote}; numbers and booleans are written as they are.
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
}
