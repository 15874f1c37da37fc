package org.mxtrap.smtp.server;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write watchdog: one platform thread that cuts every connection whose write (or TLS handshake)
 * has waited for the peer longer than the write timeout. A client that pipelines commands and never
 * reads the replies fills its receive window and ours, and would otherwise pin its session, its
 * socket buffers and its permit forever. Reads need no watchdog: {@link SocketTransport} bounds
 * each read by the input's own deadline.
 *
 * <p>Checks every quarter of the timeout (at most every second, at least every 50 ms), so a
 * connection is cut between 1 and 1.25 timeouts after its write began. A scan costs a few
 * nanoseconds per open connection. Lifecycle: {@link #start()} once, {@link #close()} once.
 */
final class Deadlines implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("smtpd");

  private final Collection<SocketTransport> open;
  private final long timeoutNanos;
  private final long tickNanos;
  private final Thread thread;
  private volatile boolean closed;

  /**
   * @param open the server's open connections, a concurrent collection it keeps up to date
   * @param writeTimeout how long one write may wait for the peer
   */
  Deadlines(Collection<SocketTransport> open, Duration writeTimeout) {
    this.open = open;
    this.timeoutNanos = writeTimeout.toNanos();
    this.tickNanos =
        Math.max(
            TimeUnit.MILLISECONDS.toNanos(50),
            Math.min(TimeUnit.SECONDS.toNanos(1), timeoutNanos / 4));
    this.thread = Thread.ofPlatform().name("write-deadlines").daemon(true).unstarted(this::run);
  }

  void start() {
    thread.start();
  }

  private void run() {
    while (!closed) {
      LockSupport.parkNanos(tickNanos);
      try {
        scan(System.nanoTime());
      } catch (RuntimeException e) {
        log.error("write deadline scan failed", e);
      }
    }
  }

  /** Cuts every overdue connection. */
  private void scan(long now) {
    for (SocketTransport t : open) {
      if (t.writeOverdue(now, timeoutNanos)) {
        log.info(
            "timeout: a write to {} waited more than {} ms; connection closed",
            t.peer(),
            TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        t.cut();
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(thread);
  }
}
