package org.mxtrap.delivery;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.Durations;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.Mailboxes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code recipients.mode: verify}: a mailbox exists when the next hop ({@link NextHop}: the relay,
 * or the MX hosts more preferred than this one) takes mail for it, as Postfix's {@code
 * reject_unverified_recipient} does. A probe opens a session of its own, says {@code MAIL FROM:<>}
 * and {@code RCPT TO}, then {@code RSET} and {@code QUIT} ({@link ClientSession#verify}).
 *
 * <h2>Answers</h2>
 *
 * A 2xx to RCPT: {@link Answer#EXISTS}; a 5xx: {@link Answer#UNKNOWN} ({@code 550 5.1.1} to our
 * client). Anything else (a 4xx, a refused connection, a timeout, a failed TLS handshake, no next
 * hop, an address the MX agent remembers as dead): {@link Answer#EXISTS} too, for temporary
 * uncertainty never refuses mail the primary might want; the queue delivers it or bounces it later.
 * So this never answers {@link Answer#CANNOT_TELL}.
 *
 * <h2>Cache</h2>
 *
 * A 2xx or 5xx is kept for {@code ttl} (by the injected clock), keyed by the folded mailbox ({@link
 * Mailbox#folded()}, as Maildir and the recipient list fold it), and answers without a probe until
 * then: so a known "no such user" is still refused while the next hop is down. Temporary outcomes
 * are never kept. At most {@link #MAX_CACHED} answers are kept, the oldest dropped first; one costs
 * about 200 octets of heap (the mailbox's two strings, the map entry and the expiry), so a full
 * cache about 20 MB.
 *
 * <h2>Time</h2>
 *
 * A lookup waits at most {@link #BUDGET} for its probe, then answers {@link Answer#EXISTS}. A
 * primary on the same site answers in milliseconds; the budget covers a slow one, and is short
 * because it is paid in full at each new recipient exactly when the next hop is unreachable, the
 * moment a backup exists for (Postfix waits about 6 s before its {@code 450} "verification in
 * progress"; we accept instead, and below that). A probe that outlives the budget goes on in the
 * background, bounded by {@link #TIMEOUTS}, and its 2xx or 5xx is still kept for the sender's next
 * attempt. At most {@link #MAX_PROBES} probes run at once: a client asking for thousands of new
 * addresses (a dictionary attack on the backup) cannot make us open thousands of connections to the
 * next hop; past the bound a recipient is accepted unasked, as when the next hop is down.
 *
 * <p>Each probe logs one line, as the queue runner logs a delivery: {@code verify:
 * to=<bob@example.com>, relay=mx1[192.0.2.10]:25, delay=0.02, status=undeliverable (550 5.1.1 ...
 * (in reply to RCPT TO))}; {@code status} is {@code deliverable}, {@code undeliverable} (both kept
 * for the ttl) or {@code undecided} (accepted, not kept).
 *
 * <p>Never throws from {@link #lookup}; thread-safe. {@link #close()} after the last lookup.
 */
public final class RecipientVerifier implements Mailboxes, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("delivery");

  /** The longest a lookup waits for its probe. */
  static final Duration BUDGET = Duration.ofSeconds(5);

  /**
   * The steps of a probe: a connection 3 s (a host that does not accept at once is most likely
   * down), each reply 10 s (a busy primary may be slow to greet; past the budget, only the cache
   * gains).
   */
  static final ClientTimeouts TIMEOUTS =
      new ClientTimeouts(
          Duration.ofSeconds(3),
          Duration.ofSeconds(10),
          Duration.ofSeconds(10),
          Duration.ofSeconds(10),
          Duration.ofSeconds(10),
          Duration.ofSeconds(10),
          Duration.ofSeconds(10),
          Duration.ofSeconds(10));

  /** The most probes running at once. */
  static final int MAX_PROBES = 32;

  /** The most answers kept. */
  public static final int MAX_CACHED = 100_000;

  /** A kept answer: whether the mailbox exists, until when (epoch milliseconds). */
  private record Cached(boolean exists, long untilMillis) {}

  private final NextHop nextHop;
  private final SmtpClient client;
  private final Duration ttl;
  private final Clock clock;
  private final Duration budget;
  private final ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();
  private final Semaphore running = new Semaphore(MAX_PROBES);
  // Insertion order: the eldest is dropped past MAX_CACHED. Guarded by itself.
  private final Map<Mailbox, Cached> cache =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Mailbox, Cached> eldest) {
          return size() > MAX_CACHED;
        }
      };

  /**
   * @param nextHop the agent whose next hops are asked; the probes use its name, protocol and
   *     STARTTLS policy with {@link #TIMEOUTS}
   * @param ttl how long a 2xx or 5xx is kept
   */
  public RecipientVerifier(NextHop nextHop, Duration ttl, Clock clock) {
    this(nextHop, ttl, clock, BUDGET, TIMEOUTS);
  }

  RecipientVerifier(
      NextHop nextHop, Duration ttl, Clock clock, Duration budget, ClientTimeouts timeouts) {
    this.nextHop = Objects.requireNonNull(nextHop, "nextHop");
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.budget = Objects.requireNonNull(budget, "budget");
    SmtpClient.Settings s = nextHop.settings();
    this.client =
        new SmtpClient(new SmtpClient.Settings(s.heloName(), s.protocol(), s.tls(), timeouts));
  }

  @Override
  public Answer lookup(Mailbox mailbox) {
    Mailbox key = mailbox.folded();
    Cached cached = cached(key);
    if (cached != null) {
      return cached.exists() ? Answer.EXISTS : Answer.UNKNOWN;
    }
    if (!running.tryAcquire()) {
      log.info("verify: to=<{}>: {} probes running already; accepted", mailbox, MAX_PROBES);
      return Answer.EXISTS;
    }
    Future<Answer> probe;
    try {
      probe =
          probes.submit(
              () -> {
                try {
                  return probe(mailbox, key);
                } finally {
                  running.release();
                }
              });
    } catch (RejectedExecutionException closed) {
      running.release();
      return Answer.EXISTS;
    }
    try {
      return probe.get(budget.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.info("verify: to=<{}>: no answer within {}; accepted", mailbox, Durations.format(budget));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      log.error("verify: to=<{}>: the probe failed; accepted", mailbox, e.getCause());
    }
    return Answer.EXISTS;
  }

  /** Asks the next hop about {@code mailbox}; keeps a 2xx or 5xx under {@code key}. */
  private Answer probe(Mailbox mailbox, Mailbox key) {
    long start = clock.millis();
    Verification v;
    switch (nextHop.open(client, mailbox.domain())) {
      case Connect.Open(ClientSession session) -> {
        try (session) {
          v = session.verify(new ForwardPath(mailbox));
        }
      }
      case Connect.Failed f -> v = new Verification(Answer.CANNOT_TELL, f.relay(), f.text());
    }
    long now = clock.millis();
    String status =
        switch (v.answer()) {
          case EXISTS -> "deliverable";
          case UNKNOWN -> "undeliverable";
          case CANNOT_TELL -> "undecided";
        };
    if (v.answer() != Answer.CANNOT_TELL) {
      synchronized (cache) {
        cache.remove(key); // so that a renewed answer is the newest, the last to be dropped
        cache.put(key, new Cached(v.answer() == Answer.EXISTS, now + ttl.toMillis()));
      }
    }
    log.info(
        "verify: to=<{}>, relay={}, delay={}, status={} ({})",
        mailbox,
        v.relay(),
        String.format(Locale.ROOT, "%.2f", (now - start) / 1000.0),
        status,
        v.text());
    return v.answer() == Answer.UNKNOWN ? Answer.UNKNOWN : Answer.EXISTS;
  }

  /** The kept answer for {@code key}, unless there is none or it expired (then dropped). */
  private @Nullable Cached cached(Mailbox key) {
    long now = clock.millis();
    synchronized (cache) {
      Cached c = cache.get(key);
      if (c != null && now >= c.untilMillis()) {
        cache.remove(key);
        return null;
      }
      return c;
    }
  }

  /** Answers kept now, expired ones not yet dropped included. */
  int cachedCount() {
    synchronized (cache) {
      return cache.size();
    }
  }

  /** Stops the probes still running and the client. */
  @Override
  public void close() {
    probes.shutdownNow();
    client.close();
  }
}
