package org.mxtrap.delivery;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.QueueSettings;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.MessageSink;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Event.Outcome;
import org.mxtrap.observe.Events;
import org.mxtrap.queue.QueueEntry;
import org.mxtrap.queue.RecipientState;
import org.mxtrap.queue.RecipientState.Status;
import org.mxtrap.queue.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Delivers what the spool holds: each message as soon as it is committed, temporary failures again
 * after a backoff, until every recipient is delivered or failed; then the message is removed.
 *
 * <h2>Schedule</h2>
 *
 * A commit wakes the runner at once (a signal from {@link Spool#onCommit}, no polling). After an
 * attempt that left recipients pending, the message is due again after {@code minBackoff}, then
 * twice that, and so on up to {@code maxBackoff}, but never later than its expiry ({@code arrival +
 * maxAge}). The first attempt at or after expiry that still leaves recipients pending fails them
 * with {@code 4.4.7}. An attempt that throws (its outcomes could not be recorded, say) records
 * nothing; the message is held back for {@code minBackoff} in memory, so that a broken disk is not
 * tried in a tight loop. Each message is worked on by one task at a time; at most {@code
 * concurrency} tasks run at once, each on its own virtual thread.
 *
 * <h2>Bounces</h2>
 *
 * Recipients that fail (permanently or by expiry) in an attempt are reported in one DSN to the
 * reverse path, which is committed to the same spool <em>before</em> the failures are recorded: a
 * crash in between sends the DSN twice rather than never. A message with the null reverse path gets
 * no DSN (never bounce a bounce); its failures are only logged. In this version delivery is
 * Maildir-only, so a DSN to a sender outside our domains is deferred ({@code 4.4.4}) at each
 * attempt, logged each time, and dropped with a log line when it expires.
 *
 * <h2>Crash windows, and delivery once</h2>
 *
 * An attempt's outcomes are recorded after the agent returns: by {@link Spool#remove} (unlinking
 * the message file) when every recipient is final, else by {@link Spool#record} (an fdatasynced
 * state record). A crash after the agent delivered and before that (for Maildir: from the rename
 * into {@code new/}, through its fsync, to the unlink or the record), a failed record, a power loss
 * that undoes an unlink not yet fsynced (a message delivered at its first attempt), or an agent
 * that throws, leaves recipients pending that were delivered. So the runner tells the agent, per
 * attempt, what earlier attempts may have done ({@link DeliveryAgent.Prior}):
 *
 * <ul>
 *   <li>{@code UNKNOWN} for every message that was in the spool when the runner was made (recovered
 *       at start, perhaps after a crash), and for a message once one of its attempts ended without
 *       its outcomes recorded (the agent or the bookkeeping threw), for as long as it stays queued;
 *   <li>{@code NONE} for the rest: messages committed while this runner listened, every earlier
 *       attempt recorded. Such a message may have been offered to an agent in the session ({@link
 *       InSessionDelivery}), but then only the recipients it did not deliver were queued, and an
 *       agent leaves no copy for a recipient it defers.
 * </ul>
 *
 * The Maildir agent, told {@code UNKNOWN}, looks for the copy of that queue ID before writing one,
 * and reports a copy it finds delivered; the runner then removes the message as usual. Looking
 * costs a directory listing, which is why fresh messages (most of what the runner delivers) are not
 * looked for. A DSN queued twice (a crash between committing it and recording the failures, see
 * above) is two messages with two queue IDs and is delivered twice.
 *
 * <h2>Use</h2>
 *
 * Production: construct, {@link #start()}, and {@link #close()} at shutdown. Tests: never start it;
 * call {@link #runDue()} after moving the clock.
 */
public final class QueueRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("delivery");

  /** Longest the loop sleeps without looking at the clock again (clock steps, lost wake-ups). */
  private static final Duration MAX_IDLE = Duration.ofSeconds(30);

  private final Spool spool;
  private final DeliveryAgent agent;
  private final QueueSettings settings;
  private final Clock clock;
  private final String hostname;
  private final Events events;
  private final Duration closeTimeout;
  private final Semaphore permits;
  private final ExecutorService executor =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("delivery-", 0).factory());
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  // Messages an earlier attempt may have delivered to without a record: see "Crash windows".
  private final Set<String> unsure = ConcurrentHashMap.newKeySet();
  // Messages whose last attempt threw (so nothing was recorded), and when to try them again.
  private final Map<String, Instant> failedUntil = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition signal = lock.newCondition();
  // Guarded by lock: messages to attempt as soon as a permit is free, in order (just committed,
  // flushed, or found due by a scan), and the same IDs as a set, so that none is queued twice.
  // Each launch takes one from the front: O(1), however long the queue behind it.
  private final Deque<String> due = new ArrayDeque<>();
  private final Set<String> queued = new HashSet<>();
  private boolean signalled;
  private Instant nextScan = Instant.MIN;
  private @Nullable Thread loop;
  private volatile boolean stopping;

  /**
   * @param spool the spool to deliver from; DSNs are queued into it too
   * @param agent where mail goes
   * @param settings backoff and expiry
   * @param clock time for schedules, delays and expiry
   * @param hostname our host name, for DSNs
   * @param events told {@link Event.Delivery} for every recipient's attempt
   */
  public QueueRunner(
      Spool spool,
      DeliveryAgent agent,
      QueueSettings settings,
      Clock clock,
      String hostname,
      Events events) {
    this(spool, agent, settings, clock, hostname, events, 20, Duration.ofSeconds(30));
  }

  /**
   * @param concurrency deliveries in flight at most
   * @param closeTimeout how long {@link #close()} waits for deliveries in flight
   */
  public QueueRunner(
      Spool spool,
      DeliveryAgent agent,
      QueueSettings settings,
      Clock clock,
      String hostname,
      Events events,
      int concurrency,
      Duration closeTimeout) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1");
    }
    this.spool = spool;
    this.agent = agent;
    this.settings = settings;
    this.clock = clock;
    this.hostname = hostname;
    this.events = events;
    this.closeTimeout = closeTimeout;
    this.permits = new Semaphore(concurrency);
    spool.onCommit(this::committed);
    // After the listener: a message committed in between is in both, and is looked for (safe).
    for (QueueEntry e : spool.list()) {
      unsure.add(e.id());
    }
  }

  /** Starts the background loop. Everything already queued is due at once. */
  public void start() {
    lock.lock();
    try {
      if (loop != null) {
        throw new IllegalStateException("already started");
      }
      loop = Thread.ofVirtual().name("queue-runner").start(this::loop);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Delivers every message that is due now, and whatever becomes due meanwhile (such as DSNs), and
   * returns when those attempts are finished. For tests and {@code flush}; do not mix with a
   * started loop in tests that count attempts.
   *
   * @return the number of attempts made
   */
  public int runDue() throws InterruptedException {
    int attempts = 0;
    while (true) {
      List<Future<?>> started = dispatch(true);
      if (started.isEmpty()) {
        return attempts;
      }
      for (Future<?> f : started) {
        try {
          f.get();
        } catch (ExecutionException e) {
          log.error("delivery task failed", e.getCause());
        }
      }
      attempts += started.size();
    }
  }

  /**
   * Makes every queued message due now ({@code mxtrap queue flush}, the primary answering again)
   * and wakes the loop. A message being attempted right now is not attempted again for it.
   */
  public void flush() {
    List<QueueEntry> all = spool.list();
    lock.lock();
    try {
      all.forEach(e -> enqueue(e.id()));
    } finally {
      lock.unlock();
    }
    wake(null);
  }

  /** Queues {@code id} for an attempt unless it is queued already. Call with the lock held. */
  private void enqueue(String id) {
    if (queued.add(id)) {
      due.add(id);
    }
  }

  private void committed(String id) {
    wake(id);
  }

  private void wake(@Nullable String freshId) {
    lock.lock();
    try {
      if (freshId != null) {
        enqueue(freshId);
      }
      signalled = true;
      signal.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void loop() {
    while (!stopping) {
      try {
        dispatch(false);
        lock.lock();
        try {
          if (!signalled && !stopping) {
            Duration idle = Duration.between(clock.instant(), nextScan);
            if (idle.compareTo(MAX_IDLE) > 0) {
              idle = MAX_IDLE;
            }
            if (!idle.isNegative() && !idle.isZero()) {
              signal.awaitNanos(idle.toNanos());
            }
          }
          signalled = false;
        } finally {
          lock.unlock();
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.error("queue runner loop", e); // background: log and go on
      }
    }
  }

  /**
   * Starts attempts for due messages, as far as permits allow: those queued for it (committed,
   * flushed), then, when the earliest known next attempt has come (or {@code scanAll}), those a
   * pass over the whole queue finds due. A scan queues what it finds, so that a backlog larger than
   * the permits is scanned once, not once per finished attempt.
   */
  private List<Future<?>> dispatch(boolean scanAll) {
    List<Future<?>> started = new ArrayList<>();
    if (stopping) {
      return started;
    }
    if (!launchQueued(started)) {
      return started; // no permit left: a finishing task wakes us
    }
    Instant now = clock.instant();
    boolean scan;
    lock.lock();
    try {
      scan = scanAll || !now.isBefore(nextScan);
      if (scan) {
        nextScan = Instant.MAX;
      }
    } finally {
      lock.unlock();
    }
    if (!scan) {
      return started;
    }
    Instant earliest = Instant.MAX;
    List<String> found = new ArrayList<>();
    for (QueueEntry e : spool.list()) {
      if (inFlight.contains(e.id())) {
        continue;
      }
      Instant next = e.nextAttempt();
      Instant held = failedUntil.get(e.id());
      if (held != null && held.isAfter(next)) {
        next = held;
      }
      if (next.isAfter(now)) {
        earliest = min(earliest, next);
      } else {
        found.add(e.id());
      }
    }
    lock.lock();
    try {
      found.forEach(this::enqueue);
    } finally {
      lock.unlock();
    }
    failedUntil.keySet().removeIf(id -> spool.find(id).isEmpty());
    noteNextAttempt(earliest);
    launchQueued(started);
    return started;
  }

  /**
   * Launches queued messages while permits last (one already in flight is dropped: its attempt sees
   * the latest state anyway). False when a message had to wait for a permit.
   */
  private boolean launchQueued(List<Future<?>> started) {
    while (true) {
      String id;
      boolean run;
      lock.lock();
      try {
        id = due.peek();
        if (id == null) {
          return true;
        }
        run = !inFlight.contains(id);
        if (run && !permits.tryAcquire()) {
          return false;
        }
        due.poll();
        queued.remove(id);
      } finally {
        lock.unlock();
      }
      if (run) {
        started.add(launch(id));
      }
    }
  }

  private void noteNextAttempt(Instant t) {
    lock.lock();
    try {
      nextScan = min(nextScan, t);
    } finally {
      lock.unlock();
    }
  }

  private Future<?> launch(String id) {
    inFlight.add(id);
    try {
      return executor.submit(
          () -> {
            try {
              MDC.put("session", id);
              attempt(id);
              failedUntil.remove(id);
            } catch (IOException | RuntimeException e) {
              if (spool.find(id).isEmpty()) {
                // Deleted during the attempt (mxtrap queue delete): its content could no longer
                // be read or its outcomes recorded, and neither is needed any more.
                log.info(
                    "{}: deleted from the queue during a delivery attempt: {}", id, e.toString());
                unsure.remove(id);
                failedUntil.remove(id);
                return;
              }
              // Nothing recorded, so the message is still due: hold it back for the shortest
              // backoff (in memory), and look for its copies next time.
              Instant retry = clock.instant().plus(settings.minBackoff());
              log.error("{}: delivery attempt failed; trying again at {}", id, retry, e);
              unsure.add(id);
              failedUntil.put(id, retry);
              noteNextAttempt(retry);
            } finally {
              MDC.remove("session");
              inFlight.remove(id);
              permits.release();
              wake(null);
            }
          });
    } catch (RuntimeException e) { // executor shut down
      inFlight.remove(id);
      permits.release();
      throw e;
    }
  }

  /** One delivery attempt for one message, with everything it entails. */
  private void attempt(String id) throws IOException {
    QueueEntry e = spool.find(id).orElse(null);
    if (e == null) {
      unsure.remove(id);
      failedUntil.remove(id);
      return; // removed meanwhile (queue delete)
    }
    List<RecipientState> pending = e.pending();
    DeliveryAgent.Prior prior =
        unsure.contains(id) ? DeliveryAgent.Prior.UNKNOWN : DeliveryAgent.Prior.NONE;
    List<RecipientResult> results = pending.isEmpty() ? List.of() : deliver(e, pending, prior);
    Instant now = clock.instant();
    boolean expired = !now.isBefore(e.arrival().plus(settings.maxAge()));
    List<DeliveryStatusNotification.Failure> failures = new ArrayList<>();
    List<Spool.Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      RecipientResult r = results.get(i);
      int index = pending.get(i).index();
      switch (r) {
        case RecipientResult.Delivered d -> {
          outcomes.add(new Spool.Outcome(index, Status.DELIVERED, d.status().toString(), d.text()));
          logResult(e, r, now, Outcome.SENT, d.text());
        }
        case RecipientResult.Failed f -> {
          failures.add(new DeliveryStatusNotification.Failure(f.recipient(), f.status(), f.text()));
          outcomes.add(new Spool.Outcome(index, Status.FAILED, f.status().toString(), f.text()));
          logResult(e, r, now, Outcome.BOUNCED, f.text());
        }
        case RecipientResult.Deferred d when expired -> {
          String text = "delivery time expired: " + d.text();
          failures.add(
              new DeliveryStatusNotification.Failure(
                  d.recipient(), EnhancedStatus.DELIVERY_TIME_EXPIRED, text));
          outcomes.add(
              new Spool.Outcome(
                  index, Status.FAILED, EnhancedStatus.DELIVERY_TIME_EXPIRED.toString(), text));
          logLine(
              events,
              e.id(),
              e.arrival(),
              d.recipient(),
              d.relay(),
              now,
              EnhancedStatus.DELIVERY_TIME_EXPIRED,
              Outcome.EXPIRED,
              text);
        }
        case RecipientResult.Deferred d -> {
          outcomes.add(new Spool.Outcome(index, Status.PENDING, d.status().toString(), d.text()));
          logResult(e, r, now, Outcome.DEFERRED, d.text());
        }
      }
    }
    // The DSN is durable before the failures that caused it are: a crash between the two sends
    // the DSN twice, never not at all.
    if (!failures.isEmpty()) {
      bounce(e, failures, now);
    }
    // One outcome per pending recipient (deliver() checks the count), so all final means done.
    if (outcomes.stream().allMatch(o -> o.status().isFinal())) {
      // Every recipient is final: removing the message is the durable record of that, so the
      // per-recipient outcomes need no fsync of their own (the common case costs no state write).
      spool.remove(id);
      unsure.remove(id);
      log.info("{}: removed", id);
    } else {
      int attempts = e.attempts() + 1;
      Instant next = min(now.plus(backoff(attempts)), e.arrival().plus(settings.maxAge()));
      spool.record(id, outcomes, now, next);
      noteNextAttempt(next);
    }
  }

  private List<RecipientResult> deliver(
      QueueEntry e, List<RecipientState> pending, DeliveryAgent.Prior prior) {
    List<ForwardPath> rcpts = pending.stream().map(RecipientState::recipient).toList();
    try {
      List<RecipientResult> results =
          agent.deliver(
              new DeliveryAgent.Delivery(
                  e.id(), e.envelope(), e.trace(), rcpts, () -> spool.content(e.id()), prior));
      if (results.size() != rcpts.size()) {
        throw new IllegalStateException(
            "agent returned " + results.size() + " results for " + rcpts.size() + " recipients");
      }
      return results;
    } catch (IOException | RuntimeException ex) {
      log.error("{}: delivery agent failed; deferring all recipients of this attempt", e.id(), ex);
      unsure.add(e.id()); // it may have delivered to some before it threw
      return rcpts.stream()
          .map(
              r ->
                  (RecipientResult)
                      new RecipientResult.Deferred(
                          r, "none", EnhancedStatus.TEMP_SYSTEM, "internal error: " + ex))
          .toList();
    }
  }

  /** Queues one DSN for {@code failures}, unless the reverse path is null. */
  private void bounce(QueueEntry e, List<DeliveryStatusNotification.Failure> failures, Instant now)
      throws IOException {
    if (e.envelope().reversePath().isNull()) {
      log.info(
          "{}: no DSN for {} failed recipient(s): the reverse path is null",
          e.id(),
          failures.size());
      return;
    }
    byte[] content;
    try (var original = spool.content(e.id())) {
      content = DeliveryStatusNotification.content(e, failures, hostname, now, original);
    }
    try (MessageSink.Incoming in =
        spool.open(
            DeliveryStatusNotification.envelope(e),
            DeliveryStatusNotification.trace(e, hostname, now))) {
      in.content().write(content);
      String dsnId = in.commit();
      log.info("{}: sender non-delivery notification: {}", e.id(), dsnId);
    }
  }

  /**
   * The delay before attempt {@code attempt + 1} after {@code attempt} attempts: {@code minBackoff}
   * doubled for each earlier attempt, at most {@code maxBackoff}.
   */
  Duration backoff(int attempt) {
    Duration d = settings.minBackoff();
    for (int i = 1; i < attempt && d.compareTo(settings.maxBackoff()) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : d;
  }

  private void logResult(
      QueueEntry e, RecipientResult r, Instant now, Outcome outcome, String text) {
    logLine(events, e.id(), e.arrival(), r.recipient(), r.relay(), now, r.status(), outcome, text);
  }

  /**
   * The log line of one recipient's delivery attempt, as Postfix writes it: {@code ID: to=<rcpt>,
   * relay=R, delay=SECONDS, dsn=X.Y.Z, status=sent|deferred|bounced|expired (text)}. Every
   * delivery, queued or {@linkplain InSessionDelivery in session}, is logged with this line, and
   * told to {@code events} as {@link Event.Delivery}.
   */
  static void logLine(
      Events events,
      String id,
      Instant arrival,
      ForwardPath rcpt,
      String relay,
      Instant now,
      EnhancedStatus dsn,
      Outcome outcome,
      String text) {
    events.on(new Event.Delivery(id, outcome, relay));
    double delay = Duration.between(arrival, now).toMillis() / 1000.0;
    log.info(
        "{}: to={}, relay={}, delay={}, dsn={}, status={} ({})",
        id,
        rcpt,
        relay,
        String.format(Locale.ROOT, "%.2f", delay),
        dsn,
        outcome.name().toLowerCase(Locale.ROOT),
        text);
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /**
   * Stops taking up work and waits up to the close timeout for deliveries in flight; those still
   * running then are interrupted and will be tried again after a restart.
   */
  @Override
  public void close() {
    stopping = true;
    wake(null);
    Thread t;
    lock.lock();
    try {
      t = loop;
    } finally {
      lock.unlock();
    }
    try {
      if (t != null) {
        t.join(closeTimeout.toMillis() + 1);
      }
      executor.shutdown();
      if (!executor.awaitTermination(closeTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn(
            "{} delivery(ies) still running after {}; interrupting", inFlight.size(), closeTimeout);
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      executor.shutdownNow();
    }
  }
}
