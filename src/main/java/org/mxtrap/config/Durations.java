package org.mxtrap.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The duration syntax of the config file and the CLI: a non-negative whole number followed by one
 * unit, {@code ms}, {@code s}, {@code m}, {@code h} or {@code d} ({@code 500ms}, {@code 90s},
 * {@code 15m}, {@code 24h}, {@code 30d}). A day is 24 hours. A bare number is refused, since
 * "{@code 30}" could mean any unit; so are compound forms such as {@code 1h30m} (write {@code
 * 90m}).
 *
 * <p>Nothing longer than {@link #MAX} (100 years) is read, so that every duration this class gives
 * out can be added to any instant of this era, doubled, and converted to milliseconds or
 * nanoseconds without overflow ({@link Duration#toNanos()} overflows at 292 years). Each config key
 * has a tighter maximum of its own, checked by the config loader.
 */
public final class Durations {
  private Durations() {}

  /** The units, for error messages. */
  public static final String UNITS = "ms, s, m, h or d (e.g. 90s, 15m, 24h, 30d)";

  /** The longest duration {@link #parse} reads: 36500d, a hundred years. */
  public static final Duration MAX = Duration.ofDays(36_500);

  private static final Pattern SYNTAX = Pattern.compile("([0-9]+)(ms|s|m|h|d)");
  private static final Pattern BARE = Pattern.compile("[0-9]+");

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException with a message fit for the user, naming the allowed units
   */
  public static Duration parse(String text) {
    String s = text.strip();
    if (BARE.matcher(s).matches()) {
      throw new IllegalArgumentException("duration without a unit: " + s + "; use " + UNITS);
    }
    Matcher m = SYNTAX.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration: " + s + "; use a number and " + UNITS);
    }
    Duration d = null;
    if (m.group(1).length() <= 15) { // inside a long; a unit times it may still overflow
      long n = Long.parseLong(m.group(1));
      try {
        d =
            switch (m.group(2)) {
              case "ms" -> Duration.ofMillis(n);
              case "s" -> Duration.ofSeconds(n);
              case "m" -> Duration.ofMinutes(n);
              case "h" -> Duration.ofHours(n);
              case "d" -> Duration.ofDays(n);
              default -> throw new AssertionError(m.group(2));
            };
      } catch (ArithmeticException e) {
        d = null;
      }
    }
    if (d == null || d.compareTo(MAX) > 0) {
      throw new IllegalArgumentException("duration too large: " + s + "; at most " + format(MAX));
    }
    return d;
  }

  /**
   * The shortest form {@link #parse} reads back to the same value: {@code 5m}, {@code 1500ms}.
   * Total: a value the syntax cannot write (negative, finer than a millisecond) comes out in
   * ISO-8601 ({@code PT0.0005S}) rather than as an exception.
   */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    if (d.isNegative() || d.getNano() % 1_000_000 != 0) {
      return d.toString();
    }
    long seconds = d.getSeconds();
    if (d.getNano() == 0) {
      long[] sizes = {86_400L, 3_600L, 60L, 1L};
      String[] units = {"d", "h", "m", "s"};
      for (int i = 0; i < sizes.length; i++) {
        if (seconds % sizes[i] == 0) {
          return seconds / sizes[i] + units[i];
        }
      }
    }
    // Below a second's precision: never more than Long.MAX_VALUE ms for what parse gives out.
    if (seconds > Long.MAX_VALUE / 1000 - 1) {
      return d.toString();
    }
    return seconds * 1000 + d.getNano() / 1_000_000 + "ms";
  }
}
