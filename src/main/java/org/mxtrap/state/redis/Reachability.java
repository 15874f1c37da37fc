package org.mxtrap.state.redis;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;
import org.mxtrap.state.StateView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this host's view of the shared state is whole ({@link StateView}), for all the stores on
 * one {@link RedisState}. A store that cannot reach Redis says so ({@link #failed}); from then on
 * the view is partial, and every {@link #RETRY} a recovery runs on a thread of its own: each
 * store's {@link Recovery} in the order registered (the contacts recorded here meanwhile are
 * written, the suppressions read in full). When every one succeeds in one round, the view is whole
 * again.
 *
 * <p>One WARNING on the logger {@code state} when the view becomes partial and one INFO when it is
 * whole again, whatever fails in between; both are told to {@link Events} ({@link
 * Event.StatePartial}, {@link Event.StateWhole}). {@link #partial} is a volatile read. Thread-safe.
 */
final class Reachability implements StateView, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("state");

  /** How often a partial view tries to become whole. */
  static final Duration RETRY = Duration.ofSeconds(1);

  /** What a store does to make this host's view whole after Redis was away. */
  @FunctionalInterface
  interface Recovery {
    /**
     * Writes what Redis missed from this host and reads what this host missed.
     *
     * @return how many contacts or suppressions it wrote
     * @throws RuntimeException when Redis fails again: the next round tries again
     */
    long recover();
  }

  /** A partial view: since when, why, and what the recoveries wrote so far. */
  private record Outage(Instant since, String why) {}

  private final String server;
  private final Clock clock;
  private final List<Recovery> recoveries = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("redis-recovery").factory());
  private volatile Events events = Events.NONE;
  private volatile @Nullable Outage outage; // null while whole; set and cleared under this
  private final AtomicLong failures = new AtomicLong(); // every failed(), ever
  private long outages; // guarded by this
  private final AtomicLong replayed = new AtomicLong(); // written during the current outage

  /**
   * @param server the Redis, as messages name it: {@code redis 127.0.0.1:6379}
   * @param clock tells when an outage began, for messages only
   */
  Reachability(String server, Clock clock) {
    this.server = server;
    this.clock = clock;
  }

  /** Tells the outages to {@code listener} from now on. */
  void tell(Events listener) {
    this.events = listener;
  }

  /** Runs {@code r} in every recovery, after those registered before it. */
  void register(Recovery r) {
    recoveries.add(r);
  }

  @Override
  public Optional<String> partial() {
    Outage o = outage;
    return o == null
        ? Optional.empty()
        : Optional.of(server + " not answering since " + o.since() + " (" + o.why() + ")");
  }

  /** How many outages began since start. */
  synchronized long outages() {
    return outages;
  }

  /**
   * A store could not reach Redis ({@code why}, for {@code what}): the view is partial until a
   * recovery succeeds. Cheap when it already is.
   */
  void failed(String what, String why) {
    failures.incrementAndGet();
    if (outage != null) {
      return;
    }
    synchronized (this) {
      if (outage != null) {
        return;
      }
      Outage o = new Outage(clock.instant(), why);
      outage = o;
      outages++;
      replayed.set(0);
      log.warn(
          "{} unavailable for {} ({}): serving on local knowledge; no trap or backup arms and no"
              + " one is suppressed for the absence of a contact until it answers again",
          server,
          what,
          why);
      events.on(new Event.StatePartial(partial().orElseThrow()));
      timer.schedule(this::recover, RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * One round of recoveries; schedules the next while the view stays partial. A round in which any
   * store failed, even one whose recovery had already run, does not make the view whole.
   */
  private void recover() {
    Outage o = outage;
    if (o == null) {
      return;
    }
    long before = failures.get();
    boolean recovered;
    try {
      for (Recovery r : recoveries) {
        replayed.addAndGet(r.recover());
      }
      recovered = failures.get() == before;
    } catch (RuntimeException e) {
      log.debug("{}: recovery failed, trying again in {}: {}", server, RETRY, e.toString());
      recovered = false;
    }
    if (!recovered) {
      timer.schedule(this::recover, RETRY.toMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    Duration lasted = Duration.between(o.since(), clock.instant());
    synchronized (this) {
      outage = null;
    }
    log.info(
        "{} answers again after {} s: {} contacts and suppressions recorded here meanwhile written;"
            + " the shared view is whole again",
        server,
        lasted.toSeconds(),
        replayed.get());
    events.on(new Event.StateWhole(lasted, replayed.get()));
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
