package org.mxtrap.smtp.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;
import org.mxtrap.smtp.wire.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Holds connections that are answered with {@code tarpit}: instead of the greeting, a 4xx reply
 * trickles out one byte per {@code interval} for {@code hold}, as continuation lines ({@code
 * 421-...}); one interval after the last of those bytes the line in progress is completed, the
 * whole reply follows and the connection is closed. A sender waits up to 5 minutes for a greeting
 * (RFC 5321 4.5.3.2), so a hold below that costs it the whole hold and ends with a tempfail it
 * understands. Nothing is ever read from a held connection.
 *
 * <p>What a held connection costs: its socket and one small record here. No thread waits for it and
 * it has no buffer: one pacing thread writes each connection's next byte when it is due, on a
 * non-blocking channel. A byte the client's socket cannot take now (the client does not read) is
 * tried again an interval later, and a client that has still not taken the whole reply twice the
 * hold after it arrived is closed. When the pacing thread falls behind, holds stretch: bytes never
 * bunch up.
 *
 * <p>At most {@code max} connections are held at once: {@link #tryEnter()} takes a place, and
 * either {@link #hold} hands the connection over (the tarpit gives the place back when it lets the
 * connection go) or {@link #leave()} gives it back.
 *
 * <p>Lifecycle: {@link #start()} once, then {@link #close()} once, which ends every held connection
 * at once with the rest of its reply. {@link #tryEnter()}, {@link #leave()}, {@link #hold} and
 * {@link #held()} are thread-safe; {@link #advance(long)} runs on the pacing thread only (tests
 * call it instead of starting that thread).
 */
final class Tarpit implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("smtpd");

  private final long interval;
  private final long steps;
  private final long patience;
  private final int max;
  private final AtomicInteger held = new AtomicInteger();
  private final ConcurrentLinkedQueue<Held> arriving = new ConcurrentLinkedQueue<>();
  // Touched by the pacing thread only, or by close() once that thread has ended.
  private final PriorityQueue<Held> waiting =
      new PriorityQueue<>((a, b) -> Long.compare(a.due - b.due, 0));
  private final ByteBuffer one = ByteBuffer.allocateDirect(1);
  private final Map<SmtpReply, Script> scripts = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private volatile @Nullable Thread pacer;
  private final Events events;

  /**
   * @param events told {@link Event.TarpitHeld} whenever a connection is taken or let go
   */
  Tarpit(Duration interval, Duration hold, int max, Events events) {
    this.interval = Math.max(1, interval.toNanos());
    this.steps = Math.max(1, hold.toNanos() / this.interval);
    this.patience = 2 * steps * this.interval;
    this.max = max;
    this.events = events;
  }

  /** Starts the pacing thread. */
  void start() {
    Thread t = Thread.ofPlatform().name("tarpit").daemon(true).unstarted(this::pace);
    pacer = t;
    t.start();
  }

  /**
   * Takes a place in the tarpit; false when it is full. Pair a true with {@link #hold} or {@link
   * #leave()}.
   */
  boolean tryEnter() {
    if (held.incrementAndGet() > max) {
      held.decrementAndGet();
      return false;
    }
    return true;
  }

  /** Gives back a place taken by {@link #tryEnter()} that was not used for {@link #hold}. */
  void leave() {
    held.decrementAndGet();
  }

  /** Connections held now (places taken). */
  int held() {
    return held.get();
  }

  /**
   * Takes over {@code channel}, after a successful {@link #tryEnter()}: from now on the tarpit
   * writes {@code reply} to it as described above and closes it. The caller neither writes to nor
   * closes it any more.
   *
   * @param channel the client's connection; a socket must be in non-blocking mode
   * @param session the session ID, and {@code client} the client's address, for the log
   * @throws IllegalArgumentException when {@code channel} is in blocking mode
   */
  void hold(WritableByteChannel channel, SmtpReply reply, String session, String client) {
    if (channel instanceof SelectableChannel s && s.isBlocking()) {
      throw new IllegalArgumentException("the tarpit writes only to non-blocking channels");
    }
    Script script = scripts.get(reply);
    if (script == null) {
      script = new Script(reply);
      if (scripts.size() < 16) { // a handful of replies in practice; never an unbounded cache
        scripts.put(reply, script);
      }
    }
    Held h = new Held(channel, script, session, client);
    events.on(new Event.TarpitHeld(held.get()));
    arriving.add(h);
    if (closed && arriving.remove(h)) {
      h.since = System.nanoTime();
      finishNow(h, h.since);
      return;
    }
    LockSupport.unpark(pacer);
  }

  /**
   * Sends every byte due by {@code now} ({@link System#nanoTime()} time): the first byte of each
   * connection that arrived since the last call, and the next byte (or the end of the reply) of
   * each connection whose interval is over.
   *
   * @return nanoseconds until the next byte is due, or -1 when no connection is held
   */
  long advance(long now) {
    for (Held h; (h = arriving.poll()) != null; ) {
      h.since = now;
      h.due = now;
      waiting.add(h);
    }
    for (Held h; (h = waiting.peek()) != null && h.due - now <= 0; ) {
      waiting.poll();
      if (step(h, now)) {
        long next = h.due + interval;
        h.due = next - now > 0 ? next : now + interval; // behind: stretch, never bunch up
        waiting.add(h);
      }
    }
    Held first = waiting.peek();
    return first == null ? -1 : Math.max(0, first.due - now);
  }

  /** One due write to {@code h}; false when the connection has been let go. */
  private boolean step(Held h, long now) {
    try {
      if (now - h.since - patience > 0) {
        end(h, now, "client does not read");
        return false;
      }
      if (h.sent < steps) {
        one.clear();
        one.put(h.script.line[(int) (h.sent % h.script.line.length)]).flip();
        if (h.channel.write(one) == 1) {
          h.sent++;
        }
        return true;
      }
      ByteBuffer rest = h.rest;
      if (rest == null) {
        rest = h.rest = h.script.ending(h.sent);
      }
      h.channel.write(rest);
      if (rest.hasRemaining()) {
        return true;
      }
      end(h, now, "end of hold");
      return false;
    } catch (IOException e) {
      end(h, now, "client left");
      return false;
    } catch (RuntimeException e) {
      log.error("tarpit: internal error while holding {}", h.client, e);
      end(h, now, "internal error");
      return false;
    }
  }

  /** Lets {@code h} go: closes it, gives its place back and logs how long the client was held. */
  private void end(Held h, long now, String why) {
    try {
      h.channel.close();
    } catch (IOException ignored) {
      // closing is best effort
    }
    events.on(new Event.TarpitHeld(held.decrementAndGet()));
    MDC.put("session", h.session);
    try {
      log.info(
          "tarpit: released {} after {}s, {} bytes: {}",
          h.client,
          TimeUnit.NANOSECONDS.toSeconds(now - h.since),
          h.sent,
          why);
    } finally {
      MDC.remove("session");
    }
  }

  private void pace() {
    while (!closed) {
      long wait = advance(System.nanoTime());
      if (closed) {
        break;
      }
      if (wait < 0) {
        LockSupport.park(this);
      } else if (wait > 0) {
        LockSupport.parkNanos(this, wait);
      }
    }
  }

  /**
   * Stops the pacing thread and ends every held connection at once: what fits in its socket of the
   * line in progress and of the whole reply is written (without waiting), then it is closed.
   */
  @Override
  public void close() {
    closed = true;
    Thread t = pacer;
    if (t != null) {
      LockSupport.unpark(t);
      try {
        t.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    long now = System.nanoTime();
    List<Held> all = new ArrayList<>(waiting);
    waiting.clear();
    for (Held h; (h = arriving.poll()) != null; ) {
      h.since = now;
      all.add(h);
    }
    for (Held h : all) {
      finishNow(h, now);
    }
  }

  /** Writes what fits now of the rest of {@code h}'s reply, then lets it go. */
  private void finishNow(Held h, long now) {
    try {
      h.channel.write(h.rest != null ? h.rest : h.script.ending(h.sent));
    } catch (IOException ignored) {
      // the client is gone: nothing to tell it
    }
    end(h, now, "server stopping");
  }

  /** The bytes of one reply, as the tarpit sends them; shared by every connection given it. */
  private static final class Script {
    /** The reply's first line in continuation form: "421 4.7.1 text" becomes "421-4.7.1 text". */
    final byte[] line;

    /** The whole reply. */
    final byte[] last;

    Script(SmtpReply reply) {
      String first = reply.firstLine();
      this.line =
          (first.substring(0, 3) + "-" + first.substring(4) + "\r\n")
              .getBytes(StandardCharsets.UTF_8);
      this.last = reply.toBytes();
    }

    /**
     * What follows {@code sent} trickled bytes: the rest of the line in progress, then the reply.
     */
    ByteBuffer ending(long sent) {
      int at = (int) (sent % line.length);
      int rest = at == 0 ? 0 : line.length - at;
      return ByteBuffer.allocate(rest + last.length).put(line, at, rest).put(last).flip();
    }
  }

  /** One held connection. Its mutable fields are the pacing thread's. */
  private static final class Held {
    final WritableByteChannel channel;
    final Script script;
    final String session;
    final String client;
    long since;
    long due;
    long sent;
    @Nullable ByteBuffer rest;

    Held(WritableByteChannel channel, Script script, String session, String client) {
      this.channel = channel;
      this.script = script;
      this.session = session;
      this.client = client;
    }
  }
}
