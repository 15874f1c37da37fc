package org.mxtrap.config;

import java.net.IDN;
import java.util.Locale;

/**
 * Host and domain name syntax (RFC 1123 2.1, RFC 5321 4.1.2 {@code Domain}): dot-separated labels
 * of letters, digits and hyphens, 1..63 characters each, not starting or ending with a hyphen, at
 * most 253 characters in all; the last label is not all digits (so an IP address is not taken for a
 * name). A trailing dot is dropped and the name is lower-cased. Internationalized names are
 * converted to their ASCII (A-label, {@code xn--}) form.
 */
public final class DomainNames {
  private DomainNames() {}

  /**
   * The name in canonical form: lower case, ASCII, no trailing dot.
   *
   * @throws IllegalArgumentException {@code "not a valid domain name: TEXT"}, with the reason
   */
  public static String canonical(String text) {
    String s = text.strip();
    String name = s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    if (name.isEmpty()) {
      throw invalid(s, "empty");
    }
    if (!name.chars().allMatch(c -> c < 0x80)) {
      try {
        name = IDN.toASCII(name);
      } catch (IllegalArgumentException e) {
        throw invalid(s, "not a valid internationalized name");
      }
    }
    name = name.toLowerCase(Locale.ROOT);
    if (name.length() > 253) {
      throw invalid(s, "longer than 253 characters");
    }
    String[] labels = name.split("\\.", -1);
    for (String label : labels) {
      if (label.isEmpty()) {
        throw invalid(s, "empty label");
      }
      if (label.length() > 63) {
        throw invalid(s, "a label is longer than 63 characters");
      }
      if (label.startsWith("-") || label.endsWith("-")) {
        throw invalid(s, "a label starts or ends with '-'");
      }
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
          throw invalid(s, "only letters, digits, hyphens and dots are allowed");
        }
      }
    }
    if (labels[labels.length - 1].chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw invalid(s, "the last label is all digits");
    }
    return name;
  }

  private static IllegalArgumentException invalid(String s, String why) {
    return new IllegalArgumentException("not a valid domain name: " + s + " (" + why + ")");
  }
}
