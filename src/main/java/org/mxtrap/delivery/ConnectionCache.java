package org.mxtrap.delivery;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Open sessions kept between messages, so that a backlog for one host goes over few connections:
 * Postfix's SMTP connection cache (CONNECTION_CACHE_README) is the model. Both outbound agents open
 * their sessions with {@link #open}, which hands out an idle session to the target address or opens
 * one, and send through {@link #send}, which sends the message and then keeps the session or closes
 * it (QUIT). Every session {@link #open} hands out must go to {@link #send} exactly once.
 *
 * <h2>When a session is kept</h2>
 *
 * On demand, as Postfix does by default ({@code smtp_connection_cache_on_demand}): only while
 * another delivery to the same address is in progress, that is while the address has a backlog (a
 * backup flushing its queue to the primary that came back, a busy relay). A lone message is
 * followed by QUIT at once, so a quiet server holds no connections. And only when all of these
 * hold, else the session is closed:
 *
 * <ul>
 *   <li>its last transaction ended cleanly: no timeout, lost connection or 421 ({@link
 *       ClientSession#reusable()});
 *   <li>it has carried fewer than {@link Limits#reuseCount} messages and was opened less than
 *       {@link Limits#reuseTime} ago;
 *   <li>the address has fewer than {@link Limits#perTarget} idle sessions, and the cache fewer than
 *       {@link Limits#total}.
 * </ul>
 *
 * <h2>Expiry</h2>
 *
 * A session idle for {@link Limits#idleTime} is closed: by a sweep that runs every {@code idleTime}
 * on the client's timer (so one idles at most twice that), by {@link #closeExpired()}, and when it
 * is found expired on the way to a send. {@link #close()} closes every idle session.
 *
 * <h2>A session that died while idle</h2>
 *
 * The peer may end an idle connection at any time (its own idle timeout, a restart), often saying
 * 421 first. When a reused session loses its connection before any reply to the new transaction, or
 * its only reply is a 421, the peer accepted nothing of the message: that is no delivery failure,
 * and the message is sent once more on a new session. Never after any other reply: a peer that
 * answered MAIL may have taken the message, and the queue's retry decides then.
 *
 * <p>Threading: {@link #open} and {@link #send} may be called from many threads at once; a session
 * is used by one of them at a time, and no network I/O is done while holding the cache's lock.
 */
final class ConnectionCache implements SessionSource, AutoCloseable {

  /**
   * How long and how much sessions are kept.
   *
   * @param idleTime how long a session waits for the next message (Postfix {@code
   *     smtp_connection_cache_time_limit}, 2 s)
   * @param reuseTime how long after it was opened a session takes no more messages (Postfix {@code
   *     smtp_connection_reuse_time_limit}, 300 s)
   * @param reuseCount the messages one session carries at most (Postfix {@code
   *     smtp_connection_reuse_count_limit}, no limit by default; we bound it, so that no single
   *     connection carries a flush of thousands)
   * @param perTarget idle sessions kept for one address at most
   * @param total idle sessions kept at most
   */
  record Limits(Duration idleTime, Duration reuseTime, int reuseCount, int perTarget, int total) {

    /** Postfix's times; per address, as many as the queue runner has deliveries in flight. */
    static final Limits DEFAULTS =
        new Limits(Duration.ofSeconds(2), Duration.ofSeconds(300), 100, 20, 100);

    Limits {
      if (!idleTime.isPositive() || !reuseTime.isPositive()) {
        throw new IllegalArgumentException(
            "cache times are positive: " + idleTime + ", " + reuseTime);
      }
      if (reuseCount < 1 || perTarget < 1 || total < perTarget) {
        throw new IllegalArgumentException(
            "need reuseCount >= 1, perTarget >= 1, total >= perTarget: "
                + reuseCount
                + ", "
                + perTarget
                + ", "
                + total);
      }
    }
  }

  /**
   * A session to {@code host} at {@code target} with what it has carried: {@code sent} messages
   * since {@code opened}.
   */
  private record Lease(
      ClientSession session, String host, InetSocketAddress target, Instant opened, int sent) {}

  /** A session waiting in the cache since {@code since}. */
  private record Idle(Lease lease, Instant since) {}

  private final SmtpClient client;
  private final Limits limits;
  private final Clock clock;
  private final ScheduledFuture<?> sweep;
  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock: idle sessions per address, most recently kept last; their number; the
  // deliveries in progress per address (the demand); whether close() was called.
  private final Map<InetSocketAddress, ArrayDeque<Idle>> idle = new HashMap<>();
  private int idleCount;
  private final Map<InetSocketAddress, Integer> inProgress = new HashMap<>();
  private boolean closed;
  // Guarded by lock: the sessions handed out by open() and not yet given back to send().
  private final Map<ClientSession, Lease> handedOut = new IdentityHashMap<>();

  /**
   * @param client opens the sessions; its timer runs the sweep, so close this cache before it
   * @param clock the time of idleness and age
   */
  ConnectionCache(SmtpClient client, Limits limits, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.clock = Objects.requireNonNull(clock, "clock");
    long every = limits.idleTime().toNanos();
    // QUIT waits for a reply: never on the timer's one thread, which must stay free for alarms.
    this.sweep =
        client
            .timer()
            .scheduleWithFixedDelay(
                () -> Thread.ofVirtual().name("smtp-cache-sweep").start(this::closeExpired),
                every,
                every,
                TimeUnit.NANOSECONDS);
  }

  /**
   * An idle session to {@code target}, or a new one ({@link SmtpClient#open}); the delivery to
   * {@code target} is in progress until the session is given to {@link #send}. Never throws for
   * what the peer or the network does.
   *
   * @param host the peer's name, for a new session
   */
  @Override
  public Connect open(String host, InetSocketAddress target) {
    begin(target);
    Lease lease = take(target);
    if (lease == null) {
      switch (client.open(host, target)) {
        case Connect.Open(ClientSession session) ->
            lease = new Lease(session, host, target, clock.instant(), 0);
        case Connect.Failed failed -> {
          end(target);
          return failed;
        }
      }
    }
    lock.lock();
    try {
      handedOut.put(lease.session(), lease);
    } finally {
      lock.unlock();
    }
    return new Connect.Open(lease.session());
  }

  /**
   * Sends {@code m} on {@code session} (from {@link #open}), then keeps or closes it; a reused
   * session that had died while idle is replaced once (see the class comment). The peer's answer
   * for each recipient, in order; when the replacement cannot be opened, its failure.
   *
   * @throws IOException when the content cannot be opened (nothing was sent)
   */
  List<RecipientResult> send(ClientSession session, OutboundMessage m) throws IOException {
    Lease lease;
    lock.lock();
    try {
      lease = Objects.requireNonNull(handedOut.remove(session), "a session open() handed out");
    } finally {
      lock.unlock();
    }
    try {
      List<RecipientResult> results = transfer(lease, m);
      if (results != null) {
        return results;
      }
      // It had died while idle; nothing was accepted: a new session, once.
      return switch (client.open(lease.host(), lease.target())) {
        case Connect.Open(ClientSession fresh) ->
            Objects.requireNonNull(
                transfer(new Lease(fresh, lease.host(), lease.target(), clock.instant(), 0), m));
        case Connect.Failed failed -> failed.resultsFor(m.recipients());
      };
    } finally {
      end(lease.target());
    }
  }

  /**
   * Sends {@code m} on the leased session, then keeps or closes it. Null when the session was a
   * reused one that turned out dead before the peer answered anything of it but 421 (closed then).
   */
  private @Nullable List<RecipientResult> transfer(Lease lease, OutboundMessage m)
      throws IOException {
    ClientSession s = lease.session();
    int before = s.replies();
    try {
      List<RecipientResult> results = s.send(m);
      int answered = s.replies() - before;
      boolean diedIdle =
          lease.sent() > 0
              && !s.reusable()
              && (answered == 0 || (answered == 1 && s.peerClosing()));
      return diedIdle ? null : results;
    } finally {
      keepOrClose(new Lease(s, lease.host(), lease.target(), lease.opened(), lease.sent() + 1));
    }
  }

  /** A fresh idle session for {@code target}, most recently kept first; expired ones are closed. */
  private @Nullable Lease take(InetSocketAddress target) {
    Instant now = clock.instant();
    List<ClientSession> expired = new ArrayList<>();
    Lease found = null;
    lock.lock();
    try {
      ArrayDeque<Idle> q = idle.get(target);
      while (found == null && q != null && !q.isEmpty()) {
        Idle i = q.pollLast();
        idleCount--;
        if (expired(i, now)) {
          expired.add(i.lease().session());
        } else {
          found = i.lease();
        }
      }
      if (q != null && q.isEmpty()) {
        idle.remove(target);
      }
    } finally {
      lock.unlock();
    }
    expired.forEach(ClientSession::close);
    return found;
  }

  /** Keeps the session for the next message to its target if the rules allow, else QUIT. */
  private void keepOrClose(Lease lease) {
    InetSocketAddress target = lease.target();
    Instant now = clock.instant();
    boolean keep;
    lock.lock();
    try {
      ArrayDeque<Idle> q = idle.get(target);
      keep =
          !closed
              && inProgress.getOrDefault(target, 0) > 1
              && lease.session().reusable()
              && lease.sent() < limits.reuseCount()
              && now.isBefore(lease.opened().plus(limits.reuseTime()))
              && (q == null || q.size() < limits.perTarget())
              && idleCount < limits.total();
      if (keep) {
        idle.computeIfAbsent(target, k -> new ArrayDeque<>()).addLast(new Idle(lease, now));
        idleCount++;
      }
    } finally {
      lock.unlock();
    }
    if (!keep) {
      lease.session().close();
    }
  }

  private boolean expired(Idle i, Instant now) {
    return !now.isBefore(i.since().plus(limits.idleTime()))
        || !now.isBefore(i.lease().opened().plus(limits.reuseTime()));
  }

  private void begin(InetSocketAddress target) {
    lock.lock();
    try {
      inProgress.merge(target, 1, Integer::sum);
    } finally {
      lock.unlock();
    }
  }

  private void end(InetSocketAddress target) {
    lock.lock();
    try {
      inProgress.computeIfPresent(target, (k, n) -> n == 1 ? null : n - 1);
    } finally {
      lock.unlock();
    }
  }

  /** Closes (QUIT) every session idle for {@link Limits#idleTime} or older than its reuse time. */
  void closeExpired() {
    closeIdle(false);
  }

  /** Sessions idle now, for tests. */
  int idle() {
    lock.lock();
    try {
      return idleCount;
    } finally {
      lock.unlock();
    }
  }

  /** Closes (QUIT) every idle session; sessions in use are closed when their send ends. */
  @Override
  public void close() {
    sweep.cancel(false);
    closeIdle(true);
  }

  private void closeIdle(boolean all) {
    Instant now = clock.instant();
    List<ClientSession> closing = new ArrayList<>();
    lock.lock();
    try {
      closed |= all;
      for (Iterator<ArrayDeque<Idle>> queues = idle.values().iterator(); queues.hasNext(); ) {
        ArrayDeque<Idle> q = queues.next();
        q.removeIf(
            i -> {
              boolean gone = all || expired(i, now);
              if (gone) {
                closing.add(i.lease().session());
              }
              return gone;
            });
        if (q.isEmpty()) {
          queues.remove();
        }
      }
      idleCount -= closing.size();
    } finally {
      lock.unlock();
    }
    closing.forEach(ClientSession::close);
  }
}
