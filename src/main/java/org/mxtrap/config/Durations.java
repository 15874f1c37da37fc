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
 */
public final class Durations {
  private Durations() {}

  /** The units, for error messages. */
  public static final String UNITS = "ms, s, m, h or d (e.g. 90s, 15m, 24h, 30d)";

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
    if (m.group(1).length() > 15) {
      throw new IllegalArgumentException("duration too large: " + s);
    }
    long n = Long.parseLong(m.group(1));
    try {
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        case "d" -> Duration.ofDays(n);
        default -> throw new AssertionError(m.group(2));
      };
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("duration too large: " + s, e);
    }
  }

  /** The shortest form {@link #parse} reads back to the same value: {@code 5m}, {@code 1500ms}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0s";
    }
    long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1000L};
    String[] units = {"d", "h", "m", "s"};
    for (int i = 0; i < sizes.length; i++) {
      if (ms % sizes[i] == 0) {
        return ms / sizes[i] + units[i];
      }
    }
    return ms + "ms";
  }
}
