package org.mxtrap.admin;

import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mxtrap.core.Verdict;

/**
 * Decisions per verdict per minute over the last 24 hours, for the dashboard's charts ({@code GET
 * /decisions/rates}): a ring of {@link #MINUTES} one-minute slots, each stamped with the minute it
 * counts so that a slot left from a day ago reads as empty. Counted when told (the {@link Clock}'s
 * minute), so memory is fixed: {@value #MINUTES} × the number of verdicts longs.
 *
 * <p>Thread-safe.
 */
final class DecisionRates {
  static final int MINUTES = 24 * 60;

  /** A span the charts show: {@code points} steps of {@code stepMinutes}, ending now. */
  enum Span {
    HOUR(60, 1),
    DAY(144, 10);

    final int points;
    final int stepMinutes;

    Span(int points, int stepMinutes) {
      this.points = points;
      this.stepMinutes = stepMinutes;
    }

    static Span parse(String text) {
      return switch (text) {
        case "hour" -> HOUR;
        case "day" -> DAY;
        default -> throw ApiException.badRequest("span: hour or day, not " + text);
      };
    }
  }

  /**
   * {@code GET /decisions/rates} body: {@code times} holds the start of each step (epoch seconds,
   * oldest first, the last step the current, partial one); {@code counts} maps every verdict label
   * to the decisions in each step; {@code trap_hits} is the {@code mx-skip} series again, the one
   * the chart leads with.
   */
  record Series(
      String span,
      int stepSeconds,
      List<Long> times,
      List<Long> trapHits,
      Map<String, List<Long>> counts) {}

  private final Clock clock;
  private final long[] minuteOf = new long[MINUTES];
  private final long[][] counts = new long[MINUTES][Verdict.values().length];

  DecisionRates(Clock clock) {
    this.clock = clock;
    Arrays.fill(minuteOf, -1);
  }

  /** Counts one decision of {@code v}, now. */
  synchronized void count(Verdict v) {
    long minute = clock.instant().getEpochSecond() / 60;
    int slot = (int) (minute % MINUTES);
    if (minuteOf[slot] != minute) {
      minuteOf[slot] = minute;
      Arrays.fill(counts[slot], 0);
    }
    counts[slot][v.ordinal()]++;
  }

  /** The series of {@code span}, ending with the current minute's step. */
  synchronized Series series(Span span) {
    long now = clock.instant().getEpochSecond() / 60;
    // Steps aligned on multiples of their length, so a chart redrawn a minute later shifts whole.
    long lastStep = now - now % span.stepMinutes;
    long first = lastStep - (long) (span.points - 1) * span.stepMinutes;
    Verdict[] verdicts = Verdict.values();
    long[][] sums = new long[verdicts.length][span.points];
    for (long m = Math.max(first, now - MINUTES + 1); m <= now; m++) {
      int slot = (int) (m % MINUTES);
      if (minuteOf[slot] == m) {
        int step = (int) ((m - first) / span.stepMinutes);
        for (int v = 0; v < verdicts.length; v++) {
          sums[v][step] += counts[slot][v];
        }
      }
    }
    Long[] times = new Long[span.points];
    for (int i = 0; i < span.points; i++) {
      times[i] = (first + (long) i * span.stepMinutes) * 60;
    }
    Map<String, List<Long>> byVerdict = new LinkedHashMap<>();
    for (Verdict v : verdicts) {
      byVerdict.put(v.label(), Arrays.stream(sums[v.ordinal()]).boxed().toList());
    }
    return new Series(
        span.name().toLowerCase(Locale.ROOT),
        span.stepMinutes * 60,
        List.of(times),
        Arrays.stream(sums[Verdict.MX_SKIP.ordinal()]).boxed().toList(),
        byVerdict);
  }
}
