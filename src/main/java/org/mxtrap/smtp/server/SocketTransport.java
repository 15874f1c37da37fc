package org.mxtrap.smtp.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.smtp.Transport;

/**
 * A {@link Transport} over a TCP socket that can be upgraded to TLS once.
 *
 * <h2>Deadlines</h2>
 *
 * Reads: before every read of the socket the time left until the input's deadline becomes the
 * socket's read timeout, so a read never waits past the deadline of the line or message it belongs
 * to, however the client paces its octets. Writes (and the TLS handshake) are not interruptible
 * that way: each one records when it started, and the server's {@link Deadlines} watchdog cuts a
 * connection whose write has waited longer than the write timeout.
 */
final class SocketTransport implements Transport {
  private static final long NOT_WRITING = Long.MIN_VALUE;

  private final @Nullable SSLContext tls;
  private final Socket plain;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private InputStream source;
  private OutputStream sink;
  private @Nullable String tlsDescription;
  // Written by the session's thread and by the thread that stops the server.
  private volatile boolean awaitingCommand;
  private volatile boolean stopping;
  // Written by the session's thread, read by the watchdog.
  private volatile long writingSince = NOT_WRITING;
  private volatile boolean cut;

  // The input's deadline, used by the session's thread only: the deadline is start + base +
  // received * 1e9 / rate nanoseconds (rate 0: no allowance for the octets received).
  private long deadlineStart;
  private long deadlineBase;
  private long deadlineRate;
  private long received;

  /**
   * @param commandTimeout the deadline of the first line, until the session sets its own
   */
  SocketTransport(Socket socket, @Nullable SSLContext tls, Duration commandTimeout)
      throws IOException {
    this.plain = socket;
    this.socket = socket;
    this.tls = tls;
    this.source = socket.getInputStream();
    // Unbuffered: the session collects its replies and writes them in one call.
    this.sink = socket.getOutputStream();
    this.in = new DeadlineInput();
    this.out = new WatchedOutput();
    lineDeadline(commandTimeout);
  }

  @Override
  public InputStream in() {
    return in;
  }

  /**
   * Puts {@code octets}, read ahead of the session (while watching for early talkers), back in
   * front of the input.
   */
  void unread(byte[] octets) {
    in = new SequenceInputStream(new ByteArrayInputStream(octets), in);
  }

  @Override
  public OutputStream out() {
    return out;
  }

  @Override
  public void lineDeadline(Duration timeout) {
    deadlineStart = System.nanoTime();
    deadlineBase = saturatedNanos(timeout);
    deadlineRate = 0;
    received = 0;
  }

  @Override
  public void dataDeadline(Duration timeout, long minRate) {
    if (minRate < 1) {
      throw new IllegalArgumentException("minRate must be positive");
    }
    lineDeadline(timeout);
    deadlineRate = minRate;
  }

  /** Nanoseconds left until the input's deadline at {@code now}; zero or less: it has passed. */
  private long leftUntilDeadline(long now) {
    long allowance = 0;
    if (deadlineRate > 0 && received > 0) {
      allowance =
          received > Long.MAX_VALUE / 1_000_000_000L
              ? Long.MAX_VALUE
              : received * 1_000_000_000L / deadlineRate;
    }
    long total = deadlineBase + allowance;
    if (total < 0) { // overflow: as good as no deadline
      total = Long.MAX_VALUE;
    }
    long elapsed = now - deadlineStart;
    return total - elapsed;
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  @Override
  public boolean tlsAvailable() {
    return tls != null && tlsDescription == null;
  }

  @Override
  public void startTls() throws IOException {
    if (!tlsAvailable()) {
      throw new IllegalStateException("STARTTLS not available");
    }
    SSLContext context = Objects.requireNonNull(tls); // tlsAvailable() says it is there
    // autoClose: closing the TLS socket closes the TCP socket under it. Nothing read from the
    // plain stream is passed on: pipelined plaintext is dropped here (CVE-2011-0411).
    SSLSocket s =
        (SSLSocket) context.getSocketFactory().createSocket(socket, null, socket.getPort(), true);
    s.setUseClientMode(false);
    s.setSSLParameters(TlsContexts.serverParameters(s.getSSLParameters()));
    long left = leftUntilDeadline(System.nanoTime());
    if (left <= 0) {
      throw new SocketTimeoutException("deadline passed before the TLS handshake");
    }
    s.setSoTimeout(timeoutMillis(left));
    // The handshake both reads and writes: the watchdog bounds it as it bounds a write.
    writingSince = System.nanoTime();
    try {
      s.startHandshake();
    } finally {
      writingSince = NOT_WRITING;
    }
    SSLSession session = s.getSession();
    socket = s;
    source = s.getInputStream();
    sink = s.getOutputStream();
    in = new DeadlineInput();
    tlsDescription = session.getProtocol() + " " + session.getCipherSuite();
  }

  @Override
  public @Nullable String tlsDescription() {
    return tlsDescription;
  }

  @Override
  public void awaitingCommand(boolean awaiting) {
    awaitingCommand = awaiting;
    if (awaiting && stopping) {
      endInput();
    }
  }

  @Override
  public boolean stopping() {
    return stopping;
  }

  /**
   * True when a write (or the TLS handshake) has been waiting for the peer since before {@code now
   * - timeoutNanos}. Called by the watchdog's thread.
   */
  boolean writeOverdue(long now, long timeoutNanos) {
    long since = writingSince;
    return !cut && since != NOT_WRITING && now - since > timeoutNanos;
  }

  /** {@code [192.0.2.7]:53122}, for logs. */
  String peer() {
    return Addresses.literal(plain.getInetAddress(), plain.getPort());
  }

  /**
   * The server is stopping: a session waiting for a command sees the end of its input at once (and
   * answers 421 4.3.2); one in the middle of a command or a message is left to finish. Called from
   * another thread; never writes, so it cannot interleave with the session's replies.
   */
  void drain() {
    stopping = true;
    if (awaitingCommand) {
      endInput();
    }
  }

  private void endInput() {
    try {
      // The TCP socket, also under TLS (SSLSocket refuses shutdownInput): a TLS session then
      // sees its input end without close_notify and ends without the 421.
      plain.shutdownInput();
    } catch (IOException ignored) {
      // already closed: the session ends anyway
    }
  }

  /** Ends the connection from the session's own thread (with TLS: after close_notify). */
  void close() {
    closeQuietly(socket);
  }

  /**
   * Ends the connection from another thread: the TCP socket, so a session blocked in a read or a
   * TLS write wakes with an exception instead of waiting on the TLS layer.
   */
  void cut() {
    cut = true;
    closeQuietly(plain);
  }

  private static int timeoutMillis(long nanos) {
    long ms = (nanos + 999_999) / 1_000_000;
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, ms));
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing is best effort
    }
  }

  /** The socket's input, each read bounded by what is left of the input's deadline. */
  private final class DeadlineInput extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      long left = leftUntilDeadline(System.nanoTime());
      if (left <= 0) {
        throw new SocketTimeoutException("deadline passed");
      }
      socket.setSoTimeout(timeoutMillis(left));
      int n = source.read(b, off, len);
      if (n > 0) {
        received += n;
      }
      return n;
    }

    @Override
    public int available() throws IOException {
      return source.available();
    }
  }

  /** The socket's output, each write and flush watched for its deadline. */
  private final class WatchedOutput extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      writingSince = System.nanoTime();
      try {
        sink.write(b, off, len);
      } finally {
        writingSince = NOT_WRITING;
      }
    }

    @Override
    public void flush() throws IOException {
      writingSince = System.nanoTime();
      try {
        sink.flush();
      } finally {
        writingSince = NOT_WRITING;
      }
    }
  }
}
