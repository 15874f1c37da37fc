package org.mxtrap.config;

import java.time.Duration;
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

  /** The longest {@code window}, {@code armAfter}, {@code suppressFor} and {@code suppressMax}. */
  public static final Duration MAX_PERIOD = Duration.ofDays(365);

  /** The longest {@code probeInterval}. */
  public static final Duration MAX_PROBE_INTERVAL = Duration.ofHours(1);

  /** The longest {@code greetDelay}: well under the 5 minutes senders wait for a greeting. */
  public static final Duration MAX_GREET_DELAY = Duration.ofMinutes(1);

  public static final TrapSettings DEFAULTS =
      new TrapSettings(
          Duration.ofHours(24),
          Duration.ofHours(24),
          Duration.ofSeconds(60),
          Action.TEMPFAIL,
          Duration.ofHours(24),
          Duration.ofDays(30),
          BackupSkip.TEMPFAIL,
          32,
          128,
          Duration.ZERO,
          Map.of());

  public TrapSettings {
    greetDelays = Map.copyOf(greetDelays);
  }

  /** The greeting delay of connections on {@code entry}. */
  public Duration greetDelay(LayoutEntry entry) {
    return greetDelays.getOrDefault(entry, greetDelay);
  }
}
