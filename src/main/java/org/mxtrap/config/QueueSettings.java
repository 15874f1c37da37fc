package org.mxtrap.config;

import java.time.Duration;

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

  public static final QueueSettings DEFAULTS =
      new QueueSettings(Duration.ofDays(5), Duration.ofMinutes(1), Duration.ofHours(1));
}
