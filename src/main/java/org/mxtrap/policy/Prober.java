package org.mxtrap.policy;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.state.AvailabilityHistory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes the primary and backup entries that this host does not serve, every {@code
 * trap.probe_interval}, and writes what it finds into the availability history (traps are never
 * probed: they turn strangers away). A failed probe marks the entry unavailable from the previous
 * probe on, since it may have failed any time after that one; a successful probe marks it available
 * again. Until the first probe succeeds, the history already has the entry unavailable ("not
 * observed").
 */
public final class Prober implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("policy");

  private final List<LayoutEntry> targets;
  private final AvailabilityHistory history;
  private final Function<InetSocketAddress, Optional<String>> probe;
  private final Clock clock;
  private final Duration interval;
  private final AtomicLong rounds = new AtomicLong();
  private final Map<LayoutEntry, Instant> lastProbe = new HashMap<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().name("prober").daemon(true).unstarted(r));

  /**
   * @param entries the entries to probe: primary and backup entries this host does not serve
   * @param probe empty when the address greeted with 220, else why not
   */
  public Prober(
      List<LayoutEntry> entries,
      AvailabilityHistory history,
      Function<InetSocketAddress, Optional<String>> probe,
      Clock clock,
      Duration interval) {
    this.targets = entries.stream().filter(e -> e.role() != Role.TRAP).toList();
    this.history = history;
    this.probe = probe;
    this.clock = clock;
    this.interval = interval;
  }

  /** Probes at once, then every interval. */
  public void start() {
    if (!targets.isEmpty()) {
      timer.scheduleWithFixedDelay(this::probeAll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** How many rounds of probes have completed since start. */
  public long rounds() {
    return rounds.get();
  }

  /** Probes every target once, now (the scheduled task; tests call it directly). */
  public synchronized void probeAll() {
    for (LayoutEntry e : targets) {
      try {
        Optional<String> failure = probe.apply(e.socketAddress());
        Instant now = clock.instant();
        Instant previous = lastProbe.put(e, now);
        if (failure.isPresent()) {
          history.down(e, previous == null ? now : previous, failure.get());
          log.info("probe: {} unavailable: {}", e.describe(), failure.get());
        } else {
          history.up(e, now);
        }
      } catch (RuntimeException ex) {
        log.warn("probe of {} failed in our own code: {}", e.describe(), ex.toString());
      }
    }
    rounds.incrementAndGet();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
