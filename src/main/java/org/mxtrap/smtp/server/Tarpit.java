package org.mxtrap.smtp.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.mxtrap.smtp.wire.SmtpReply;

/**
 * Holds connections that are answered with {@code tarpit}: instead of the greeting, a 4xx reply
 * trickles out one byte per {@code interval} for {@code hold}, as continuation lines ({@code
 * 421-...}), then its last line comes whole and the connection is closed. A sender waits up to 5
 * minutes for a greeting (RFC 5321 4.5.3.2), so a hold below that costs it the whole hold and ends
 * with a tempfail it understands.
 *
 * <p>A held connection is a parked virtual thread and its socket: no platform thread, no read
 * buffer (nothing is read). At most {@code max} are held at once; beyond, {@link #tryEnter()}
 * refuses and the caller answers a plain tempfail. Thread-safe.
 */
final class Tarpit {

  /** How the tarpit waits; tests pass one that does not sleep. */
  @FunctionalInterface
  interface Pause {
    void pause(Duration d) throws InterruptedException;
  }

  private final Duration interval;
  private final Duration hold;
  private final int max;
  private final Pause pause;
  private final AtomicInteger held = new AtomicInteger();

  Tarpit(Duration interval, Duration hold, int max, Pause pause) {
    this.interval = interval;
    this.hold = hold;
    this.max = max;
    this.pause = pause;
  }

  /** Takes a place in the tarpit; false when it is full. Pair a true with {@link #leave()}. */
  boolean tryEnter() {
    if (held.incrementAndGet() > max) {
      held.decrementAndGet();
      return false;
    }
    return true;
  }

  void leave() {
    held.decrementAndGet();
  }

  int held() {
    return held.get();
  }

  /**
   * Trickles {@code reply} to {@code out}: the first line of {@code reply} as continuation lines,
   * one byte per interval, until {@code hold} has passed; then the whole {@code reply}.
   *
   * @throws IOException when the client goes away (the usual end)
   */
  void trickle(OutputStream out, SmtpReply reply) throws IOException {
    String first = reply.firstLine(); // "421 4.7.1 text": the continuation form is "421-4.7.1 text"
    byte[] line =
        (first.substring(0, 3) + "-" + first.substring(4) + "\r\n")
            .getBytes(StandardCharsets.UTF_8);
    long steps = Math.max(1, hold.toNanos() / Math.max(1, interval.toNanos()));
    try {
      for (long i = 0; i < steps; i++) {
        out.write(line[(int) (i % line.length)]);
        out.flush();
        pause.pause(interval);
      }
      if (steps % line.length != 0) {
        // finish the continuation line in progress
        out.write(line, (int) (steps % line.length), line.length - (int) (steps % line.length));
      }
      out.write(reply.toBytes());
      out.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
