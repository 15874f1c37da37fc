package org.mxtrap.smtp.wire;

import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * xtext (RFC 3461 4), the encoding of XCLIENT attribute values: the printable ASCII characters
 * {@code !} to {@code ~} stand for themselves, except {@code +} and {@code =}; every other octet is
 * {@code +} and two upper-case hex digits.
 */
public final class Xtext {
  private static final HexFormat HEX = HexFormat.of().withUpperCase();

  private Xtext() {}

  /** {@code text} (ASCII; other characters are encoded by their low octet) as xtext. */
  public static String encode(String text) {
    StringBuilder b = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= '!' && c <= '~' && c != '+' && c != '=') {
        b.append(c);
      } else {
        b.append('+').append(HEX.toHexDigits((byte) c));
      }
    }
    return b.toString();
  }

  /**
   * The text {@code xtext} stands for; null when it is malformed, or when it decodes to anything
   * but printable ASCII and space (no control character: nothing an attribute needs).
   */
  public static @Nullable String decode(String xtext) {
    StringBuilder b = new StringBuilder(xtext.length());
    for (int i = 0; i < xtext.length(); i++) {
      char c = xtext.charAt(i);
      if (c == '+') {
        if (i + 3 > xtext.length()
            || !HexFormat.isHexDigit(xtext.charAt(i + 1))
            || !HexFormat.isHexDigit(xtext.charAt(i + 2))) {
          return null;
        }
        int octet = HexFormat.fromHexDigits(xtext, i + 1, i + 3);
        if (octet < ' ' || octet > '~') {
          return null;
        }
        b.append((char) octet);
        i += 2;
      } else if (c == '=' || c < '!' || c > '~') {
        return null;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
