package org.mxtrap.policy;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
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
 * observed"). When an entry answers and its previous probe did not (or it is the first probe),
 * {@code answering} is told: a backup then forwards what it holds for the primary at once, rather
 * than at its next backoff step.
 */
public final class Prober implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("policy");

  private final List<LayoutEntry> targets;
  private final AvailabilityHistory history;
  private final Function<InetSocketAddress, Optional<String>> probe;
  private final Clock clock;
  private final Duration interval;
  private final AtomicLong rounds = new AtomicLong();
  private final Consumer<LayoutEntry> answering;
  private final Map<LayoutEntry, Instant> lastProbe = new HashMap<>();
  private final Set<LayoutEntry> up = new HashSet<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().name("prober").daemon(true).unstarted(r));

  /**
   * @param entries the entries to probe: primary and backup entries this host does not serve
   * @param probe empty when the address greeted with 220, else why not
   * @param answering told, on the prober's thread, of an entry that answers again; must be quick
   */
  public Prober(
      List<LayoutEntry> entries,
      AvailabilityHistory history,
      Function<InetSocketAddress, Optional<String>> probe,
      Clock clock,
      Duration interval,
      Consumer<LayoutEntry> answering) {
    this.targets = entries.stream().filter(e -> e.role() != Role.TRAP).toList();
    this.history = history;
    this.probe = probe;
    this.clock = clock;
    this.interval = interval;
    this.answering = answering;
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
          up.remove(e);
          history.down(e, previous == null ? now : previous, failure.get());
          log.info("probe: {} unavailable: {}", e.describe(), failure.get());
        } else {
          history.up(e, now);
          if (up.add(e)) {
            answering.accept(e);
          }
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
