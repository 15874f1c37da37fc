package org.mxtrap.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.mxtrap.core.Action;
import org.mxtrap.core.LayoutEntry;

/**
 * The trap engine's settings (PRODUCT.md {@code trap}).
 *
 * @param window how long a contact at a lower preference excuses a contact at a higher one
 * @param armAfter how long every lower entry must have been continuously available (some one of
 *     them at each moment) before a trap entry is armed; also how long this host must have history
 * @param probeInterval how often the primary and backup entries this host does not serve are probed
 *     (TCP connect and 220 greeting)
 * @param onTrap what a trap hit is answered: tempfail, reject or tarpit
 * @param suppressFor how long a first offender is suppressed
 * @param suppressMax the longest suppression; each repeat offence within 7 days doubles it up to
 *     this
 * @param backupSkip what a contact on a backup without a lower contact gets while the primary was
 *     continuously available
 * @param excusePrefixV4 contacts are remembered per IPv4 network of this length: a contact from any
 *     address of the network excuses the others
 * @param excusePrefixV6 the same for IPv6
 * @param suppressPrefixV4 a suppression the engine makes covers the offender's IPv4 network of this
 *     length (operators' suppressions cover what they name)
 * @param suppressPrefixV6 the same for IPv6
 * @param decideAt when a trap or backup contact that the lists do not settle is decided: at the
 *     greeting, or after the client's MAIL FROM (its HELO and sender then in the evidence, its
 *     sender's SPF an excuse)
 * @param greetDelay how long to wait before the greeting, watching for early talkers (0: no wait)
 * @param greetDelays per-entry overrides of {@code greetDelay} (layout entry key {@code
 *     greet_delay})
 */
public record TrapSettings(
    Duration window,
    Duration armAfter,
    Duration probeInterval,
    Action onTrap,
    Duration suppressFor,
    Duration suppressMax,
    BackupSkip backupSkip,
    int excusePrefixV4,
    int excusePrefixV6,
    int suppressPrefixV4,
    int suppressPrefixV6,
    DecideAt decideAt,
    Duration greetDelay,
    Map<LayoutEntry, Duration> greetDelays) {

  /** What {@code trap.backup_skip} does. */
  public enum BackupSkip {
    /** 421 at the greeting, no suppression: a real MTA retries the primary. */
    TEMPFAIL,
    /** Treated as a trap hit: suppressed. */
    TRAP,
    /** Served as the primary would serve it. */
    IGNORE
  }

  /** What {@code trap.decide_at} does. */
  public enum DecideAt {
    /** The decision comes instead of the greeting (PRODUCT.md). */
    GREETING,
    /** The trap greets, reads EHLO and MAIL FROM, then decides. */
    MAIL
  }

  /** The longest {@code window}, {@code armAfter}, {@code suppressFor} and {@code suppressMax}. */
  public static final Duration MAX_PERIOD = Duration.ofDays(365);

  /** The longest {@code probeInterval}. */
  public static final Duration MAX_PROBE_INTERVAL = Duration.ofHours(1);

  /** The longest {@code greetDelay}: well under the 5 minutes senders wait for a greeting. */
  public static final Duration MAX_GREET_DELAY = Duration.ofMinutes(1);

  public TrapSettings {
    greetDelays = Map.copyOf(greetDelays);
  }

  /** The greeting delay of connections on {@code entry}. */
  public Duration greetDelay(LayoutEntry entry) {
    return greetDelays.getOrDefault(entry, greetDelay);
  }

  /** {@code trap.greet_delay} and {@code layout[].greet_delay}. */
  static final Type<Duration> GREET_DELAY =
      Type.durationOrZero(MAX_GREET_DELAY, "senders give up after 5 minutes without a greeting");

  private static final Type<Duration> PERIOD = Type.duration(MAX_PERIOD, "a year");
  private static final Type<Action> ACTION =
      Type.choice(Action.class, "tempfail", "reject", "tarpit");

  static final Key<TrapSettings, Duration> WINDOW =
      Key.of("window", PERIOD, Duration.ofHours(24), TrapSettings::window);
  static final Key<TrapSettings, Duration> ARM_AFTER =
      Key.of("arm_after", PERIOD, Duration.ofHours(24), TrapSettings::armAfter);
  static final Key<TrapSettings, Duration> PROBE_INTERVAL =
      Key.of(
          "probe_interval",
          Type.duration(
              MAX_PROBE_INTERVAL,
              "a lower MX that went down must be noticed before a trap judges its senders"),
          Duration.ofSeconds(60),
          TrapSettings::probeInterval);
  static final Key<TrapSettings, Action> ON_TRAP =
      Key.of("on_trap", ACTION, Action.TEMPFAIL, TrapSettings::onTrap);
  static final Key<TrapSettings, Duration> SUPPRESS_FOR =
      Key.of("suppress_for", PERIOD, Duration.ofHours(24), TrapSettings::suppressFor);
  static final Key<TrapSettings, Duration> SUPPRESS_MAX =
      Key.of("suppress_max", PERIOD, Duration.ofDays(30), TrapSettings::suppressMax);
  static final Key<TrapSettings, BackupSkip> BACKUP_SKIP =
      Key.of(
          "backup_skip",
          Type.choice(BackupSkip.class, "tempfail", "trap", "ignore"),
          BackupSkip.TEMPFAIL,
          TrapSettings::backupSkip);
  static final Key<TrapSettings, Integer> EXCUSE_PREFIX_V4 =
      Key.of("excuse_prefix_v4", Type.integer(0, 32), 24, TrapSettings::excusePrefixV4);
  static final Key<TrapSettings, Integer> EXCUSE_PREFIX_V6 =
      Key.of("excuse_prefix_v6", Type.integer(0, 128), 64, TrapSettings::excusePrefixV6);
  // At widest what an operator may suppress by hand (AdminApi.MIN_PREFIX_V4, _V6): an IPv4 /8, an
  // IPv6 /32, a whole provider's allocation.
  static final Key<TrapSettings, Integer> SUPPRESS_PREFIX_V4 =
      Key.of("suppress_prefix_v4", Type.integer(8, 32), 32, TrapSettings::suppressPrefixV4);
  static final Key<TrapSettings, Integer> SUPPRESS_PREFIX_V6 =
      Key.of("suppress_prefix_v6", Type.integer(32, 128), 64, TrapSettings::suppressPrefixV6);
  static final Key<TrapSettings, DecideAt> DECIDE_AT =
      Key.of(
          "decide_at",
          Type.choice(DecideAt.class, "greeting", "mail"),
          DecideAt.GREETING,
          TrapSettings::decideAt);
  static final Key<TrapSettings, Duration> GREET_DELAY_KEY =
      Key.of("greet_delay", GREET_DELAY, Duration.ZERO, TrapSettings::greetDelay);

  static final Section<TrapSettings> SECTION =
      Section.of(
          "trap",
          List.of(
              WINDOW,
              ARM_AFTER,
              PROBE_INTERVAL,
              ON_TRAP,
              SUPPRESS_FOR,
              SUPPRESS_MAX,
              BACKUP_SKIP,
              EXCUSE_PREFIX_V4,
              EXCUSE_PREFIX_V6,
              SUPPRESS_PREFIX_V4,
              SUPPRESS_PREFIX_V6,
              DECIDE_AT,
              GREET_DELAY_KEY),
          TrapSettings::build);

  public static final TrapSettings DEFAULTS = SECTION.defaults();

  /** A first suppression longer than the longest would never be doubled, only cut. */
  private static TrapSettings build(Values v) {
    Duration window = v.get(WINDOW);
    Duration armAfter = v.get(ARM_AFTER);
    Duration probeInterval = v.get(PROBE_INTERVAL);
    Action onTrap = v.get(ON_TRAP);
    Duration suppressFor = v.get(SUPPRESS_FOR);
    Duration suppressMax = v.get(SUPPRESS_MAX);
    if (v.valid(SUPPRESS_FOR, SUPPRESS_MAX) && suppressFor.compareTo(suppressMax) > 0) {
      Field at = v.given(SUPPRESS_FOR) ? v.field(SUPPRESS_FOR) : v.field(SUPPRESS_MAX);
      if (at != null) {
        v.reader()
            .error(
                at,
                "trap.suppress_for ("
                    + Durations.format(suppressFor)
                    + ") is longer than trap.suppress_max ("
                    + Durations.format(suppressMax)
                    + (v.given(SUPPRESS_MAX) ? "" : ", the default")
                    + ")");
      }
    }
    return new TrapSettings(
        window,
        armAfter,
        probeInterval,
        onTrap,
        suppressFor,
        suppressMax,
        v.get(BACKUP_SKIP),
        v.get(EXCUSE_PREFIX_V4),
        v.get(EXCUSE_PREFIX_V6),
        v.get(SUPPRESS_PREFIX_V4),
        v.get(SUPPRESS_PREFIX_V6),
        v.get(DECIDE_AT),
        v.get(GREET_DELAY_KEY),
        Map.of());
  }

  /** These settings with the per-entry greeting delays of the layout. */
  TrapSettings withGreetDelays(Map<LayoutEntry, Duration> delays) {
    return new TrapSettings(
        window,
        armAfter,
        probeInterval,
        onTrap,
        suppressFor,
        suppressMax,
        backupSkip,
        excusePrefixV4,
        excusePrefixV6,
        suppressPrefixV4,
        suppressPrefixV6,
        decideAt,
        greetDelay,
        delays);
  }
}
