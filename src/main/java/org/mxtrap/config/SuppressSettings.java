package org.mxtrap.config;

import java.time.Duration;
import org.mxtrap.core.Action;

/**
 * How suppressed and blocked clients are answered (PRODUCT.md {@code suppress}), and the tarpit's
 * pace.
 *
 * @param action tempfail (421 and close), reject (554, then only QUIT) or tarpit
 * @param tarpitInterval the pause between two bytes of a tarpitted reply
 * @param tarpitHold how long a tarpitted connection is held before its final 421 and close
 * @param tarpitMax the most connections held in the tarpit at once; beyond it, plain tempfail
 */
public record SuppressSettings(
    Action action, Duration tarpitInterval, Duration tarpitHold, int tarpitMax) {

  /** The longest {@code tarpitInterval}: senders wait 5 minutes for a byte. */
  public static final Duration MAX_TARPIT_INTERVAL = Duration.ofMinutes(1);

  /** The longest {@code tarpitHold}. */
  public static final Duration MAX_TARPIT_HOLD = Duration.ofHours(1);

  public static final SuppressSettings DEFAULTS =
      new SuppressSettings(Action.TEMPFAIL, Duration.ofSeconds(1), Duration.ofMinutes(4), 20_000);
}
