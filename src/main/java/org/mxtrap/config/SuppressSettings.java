package org.mxtrap.config;

import java.time.Duration;
import java.util.List;
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

  static final Key<SuppressSettings, Action> ACTION =
      Key.of(
          "action",
          Type.choice(Action.class, "tempfail", "reject", "tarpit"),
          Action.TEMPFAIL,
          SuppressSettings::action);
  static final Key<SuppressSettings, Duration> TARPIT_INTERVAL =
      Key.of(
          "tarpit_interval",
          Type.duration(MAX_TARPIT_INTERVAL, "senders give up after 5 minutes without a byte"),
          Duration.ofSeconds(1),
          SuppressSettings::tarpitInterval);
  static final Key<SuppressSettings, Duration> TARPIT_HOLD =
      Key.of(
          "tarpit_hold",
          Type.duration(MAX_TARPIT_HOLD, "each held connection takes a file descriptor"),
          Duration.ofMinutes(4),
          SuppressSettings::tarpitHold);
  static final Key<SuppressSettings, Integer> TARPIT_MAX =
      Key.of("tarpit_max", Type.positiveInteger(), 20_000, SuppressSettings::tarpitMax);

  static final Section<SuppressSettings> SECTION =
      Section.of(
          "suppress",
          List.of(ACTION, TARPIT_INTERVAL, TARPIT_HOLD, TARPIT_MAX),
          v ->
              new SuppressSettings(
                  v.get(ACTION), v.get(TARPIT_INTERVAL), v.get(TARPIT_HOLD), v.get(TARPIT_MAX)));

  public static final SuppressSettings DEFAULTS = SECTION.defaults();
}
