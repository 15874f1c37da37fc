package org.mxtrap.admin;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Action;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Verdict;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Json;

/**
 * The latest decisions for the dashboard's live list ({@code GET /decisions/live}): the last {@link
 * #RECENT} in a ring, and each new one fanned out to at most {@link #MAX_SUBSCRIBERS} subscribers
 * through queues of {@link #QUEUE} lines. A subscriber that falls behind loses lines; the engine's
 * thread never waits for a browser.
 *
 * <p>Each decision is one JSON line, written on the thread of the subscriber that sends it: the
 * engine's thread only keeps the decision's fields and hands them on, since nobody may be watching.
 *
 * <pre>
 * {"time":T,"client":"192.0.2.7","entry":{"address":"127.0.0.1:2526","preference":30,"host":..,"role":"trap"},
 *  "verdict":"mx-skip","action":"tempfail","reason":"...","reverse_name":NAME|null,"until":T|null}
 * </pre>
 *
 * Thread-safe.
 */
final class LiveDecisions {
  static final int RECENT = 100;
  static final int MAX_SUBSCRIBERS = 16;
  static final int QUEUE = 256;

  /** The line of one decision (the wire format above). */
  record Line(
      Instant time,
      String client,
      LayoutEntry entry,
      Verdict verdict,
      Action action,
      String reason,
      @Nullable String reverseName,
      @Nullable Instant until) {}

  /** One browser's feed: the recent lines it was given first, then the new ones as they come. */
  final class Subscriber implements AutoCloseable {
    private final BlockingQueue<Line> lines = new ArrayBlockingQueue<>(QUEUE);
    private final List<Line> recent;

    private Subscriber(List<Line> recent) {
      this.recent = recent;
    }

    /** The decisions made before it subscribed, oldest first (at most {@link #RECENT}). */
    List<String> recent() {
      return recent.stream().map(Json::write).toList();
    }

    /** The next line, or empty when none came within {@code wait}. */
    Optional<String> next(Duration wait) throws InterruptedException {
      return Optional.ofNullable(lines.poll(wait.toMillis(), TimeUnit.MILLISECONDS))
          .map(Json::write);
    }

    /** Queues {@code line}, or drops it when this subscriber is {@link #QUEUE} lines behind. */
    private void offer(Line line) {
      lines.offer(line);
    }

    /** Unsubscribes. */
    @Override
    public void close() {
      synchronized (LiveDecisions.this) {
        subscribers.remove(this);
      }
    }
  }

  private final ArrayDeque<Line> ring = new ArrayDeque<>(RECENT);
  private final List<Subscriber> subscribers = new ArrayList<>();

  /** Keeps and fans out the decision; other events are not its business. */
  void on(Event.Decided d) {
    Decision x = d.decision();
    Line line =
        new Line(
            d.contact().at(),
            Addresses.text(d.contact().client()),
            d.contact().entry(),
            x.verdict(),
            x.action(),
            x.reason(),
            x.reverseName(),
            x.until());
    synchronized (this) {
      if (ring.size() == RECENT) {
        ring.removeFirst();
      }
      ring.addLast(line);
      subscribers.forEach(s -> s.offer(line));
    }
  }

  /**
   * A new subscriber, given the recent lines and every later one (none lost in between), or empty
   * when {@link #MAX_SUBSCRIBERS} are subscribed already. Close it when done.
   */
  synchronized Optional<Subscriber> subscribe() {
    if (subscribers.size() >= MAX_SUBSCRIBERS) {
      return Optional.empty();
    }
    Subscriber s = new Subscriber(List.copyOf(ring));
    subscribers.add(s);
    return Optional.of(s);
  }
}
