package org.mxtrap.config;

import java.time.Duration;
import java.util.List;

/**
 * The spool and its retry schedule.
 *
 * @param maxAge how long a message may wait before it bounces
 * @param minBackoff the first retry delay after a temporary failure
 * @param maxBackoff the largest retry delay; delays double from min to max
 */
public record QueueSettings(Duration maxAge, Duration minBackoff, Duration maxBackoff) {
  /** The longest {@code maxAge}. */
  public static final Duration MAX_AGE = Duration.ofDays(90);

  /** The longest {@code minBackoff} and {@code maxBackoff}. */
  public static final Duration MAX_BACKOFF = Duration.ofDays(1);

  private static final Type<Duration> BACKOFF =
      Type.duration(MAX_BACKOFF, "the longest wait between two delivery attempts");

  static final Key<QueueSettings, Duration> MAX_AGE_KEY =
      Key.of(
          "max_age",
          Type.duration(MAX_AGE, "how long a message may wait before it bounces"),
          Duration.ofDays(5),
          QueueSettings::maxAge);
  static final Key<QueueSettings, Duration> MIN_BACKOFF =
      Key.of("min_backoff", BACKOFF, Duration.ofMinutes(1), QueueSettings::minBackoff);
  static final Key<QueueSettings, Duration> MAX_BACKOFF_KEY =
      Key.of("max_backoff", BACKOFF, Duration.ofHours(1), QueueSettings::maxBackoff);

  static final Section<QueueSettings> SECTION =
      Section.of("queue", List.of(MAX_AGE_KEY, MIN_BACKOFF, MAX_BACKOFF_KEY), QueueSettings::build);

  public static final QueueSettings DEFAULTS = SECTION.defaults();

  /** The backoff doubles from min to max, so min must not be longer. */
  private static QueueSettings build(Values v) {
    QueueSettings q =
        new QueueSettings(v.get(MAX_AGE_KEY), v.get(MIN_BACKOFF), v.get(MAX_BACKOFF_KEY));
    if (v.valid(MIN_BACKOFF, MAX_BACKOFF_KEY) && q.minBackoff().compareTo(q.maxBackoff()) > 0) {
      Field at = v.given(MIN_BACKOFF) ? v.field(MIN_BACKOFF) : v.field(MAX_BACKOFF_KEY);
      if (at != null) {
        v.reader()
            .error(
                at,
                "queue.min_backoff ("
                    + Durations.format(q.minBackoff())
                    + ") is longer than queue.max_backoff ("
                    + Durations.format(q.maxBackoff())
                    + (v.given(MAX_BACKOFF_KEY) ? "" : ", the default")
                    + ")");
      }
    }
    return q;
  }
}
