package org.mxtrap.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The size syntax of the config file: a whole number of bytes, optionally followed by a unit. Units
 * are 1024-based, as mail software has always counted them (Postfix's {@code message_size_limit}
 * documentation, Exim's {@code K}/{@code M}): {@code KB} = 1024 bytes, {@code MB} = 1024², {@code
 * GB} = 1024³. {@code B}, and the IEC spellings {@code KiB}, {@code MiB}, {@code GiB}, are accepted
 * too; units are case-insensitive.
 */
public final class ByteSizes {
  private ByteSizes() {}

  /** The units, for error messages. */
  public static final String UNITS = "bytes, or KB, MB, GB (1024-based; e.g. 50MB)";

  private static final Pattern SYNTAX = Pattern.compile("([0-9]+) ?([a-zA-Z]*)");

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException with a message fit for the user, naming the allowed units
   */
  public static long parse(String text) {
    String s = text.strip();
    Matcher m = SYNTAX.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a size: " + s + "; use " + UNITS);
    }
    long unit =
        switch (m.group(2).toUpperCase(Locale.ROOT)) {
          case "", "B" -> 1L;
          case "KB", "KIB" -> 1L << 10;
          case "MB", "MIB" -> 1L << 20;
          case "GB", "GIB" -> 1L << 30;
          default ->
              throw new IllegalArgumentException(
                  "unknown size unit: " + m.group(2) + " in " + s + "; use " + UNITS);
        };
    if (m.group(1).length() > 15) {
      throw new IllegalArgumentException("size too large: " + s);
    }
    try {
      return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("size too large: " + s, e);
    }
  }

  /** The shortest form {@link #parse} reads back to the same value: {@code 50MB}, {@code 1000}. */
  public static String format(long bytes) {
    if (bytes != 0) {
      if (bytes % (1L << 30) == 0) {
        return (bytes >> 30) + "GB";
      }
      if (bytes % (1L << 20) == 0) {
        return (bytes >> 20) + "MB";
      }
      if (bytes % (1L << 10) == 0) {
        return (bytes >> 10) + "KB";
      }
    }
    return Long.toString(bytes);
  }
}
