package org.mxtrap.delivery;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;
import org.mxtrap.smtp.wire.LineReader;
import org.mxtrap.smtp.wire.ReplyReader;
import org.mxtrap.smtp.wire.SmtpReply;

/**
 * The client's TCP connection, upgraded to TLS at most once, with a deadline on every step.
 *
 * <p>Reads: the step's timeout is the socket's read timeout. Writes, which a socket cannot time
 * out, arm an alarm on the client's timer that closes the socket when the write is not done in
 * time; the write then fails and is reported as a {@link SocketTimeoutException}. Used by one
 * thread; {@link #close()} may also come from the timer.
 */
final class ClientConnection implements AutoCloseable {
  private final Socket plain;
  private final ScheduledExecutorService timer;
  private Socket socket;
  private LineReader in;
  private OutputStream out;
  private @Nullable String tls;
  private volatile boolean cut;
  // Replies read so far, and whether one of them was a 421 (the peer is closing the connection).
  private int replies;
  private boolean closing;

  private ClientConnection(Socket socket, ScheduledExecutorService timer) throws IOException {
    this.plain = socket;
    this.socket = socket;
    this.timer = timer;
    this.in = new LineReader(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Connects to {@code address}; a refused or timed-out connection throws. */
  static ClientConnection open(
      InetSocketAddress address, Duration timeout, ScheduledExecutorService timer)
      throws IOException {
    Socket s = new Socket();
    try {
      // Each write is a whole command, pipelined group or message end, written when it is
      // complete: Nagle's algorithm would only hold the last segment back for the peer's delayed
      // ACK (some 40 ms a message on Linux).
      s.setTcpNoDelay(true);
      s.connect(address, millis(timeout));
      return new ClientConnection(s, timer);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /** Reads one reply, waiting at most {@code timeout} for each read. */
  SmtpReply read(Duration timeout) throws IOException {
    socket.setSoTimeout(millis(timeout));
    SmtpReply reply = ReplyReader.read(in);
    replies++;
    closing |= reply.code() == 421;
    return reply;
  }

  /** The replies read so far. */
  int replies() {
    return replies;
  }

  /** A 421 was read: the peer is closing the connection (RFC 5321 3.8). */
  boolean closing() {
    return closing;
  }

  /** Writes command lines (each ending with CRLF) in one write. */
  void write(String lines, Duration timeout) throws IOException {
    byte[] b = lines.getBytes(StandardCharsets.UTF_8);
    timed(timeout, () -> out.write(b));
  }

  /** A stream for message content; each write must finish within {@code timeout}. */
  OutputStream content(Duration timeout) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        timed(timeout, () -> out.write(b, off, len));
      }
    };
  }

  /**
   * Makes the TLS handshake as a client after the peer's 220 to STARTTLS; from then on every octet
   * goes through TLS, and nothing the peer sent in plaintext before is read (RFC 3207 section 4.2).
   *
   * @param host the peer's name, sent as SNI when it is one
   */
  void startTls(SSLContext context, String host, Duration timeout) throws IOException {
    SSLSocket s =
        (SSLSocket) context.getSocketFactory().createSocket(plain, host, plain.getPort(), true);
    s.setUseClientMode(true);
    s.setSoTimeout(millis(timeout));
    timed(timeout, s::startHandshake);
    SSLSession session = s.getSession();
    socket = s;
    in = new LineReader(s.getInputStream());
    out = s.getOutputStream();
    tls = session.getProtocol() + " " + session.getCipherSuite();
  }

  /** The TLS protocol and cipher suite, or null in plaintext. */
  @Nullable String tls() {
    return tls;
  }

  /** Closes the socket without a word; the peer sees the connection end. */
  @Override
  public void close() {
    try {
      plain.close();
    } catch (IOException e) {
      // Nothing to do about a failed close.
    }
  }

  private interface Write {
    void run() throws IOException;
  }

  private void timed(Duration timeout, Write write) throws IOException {
    ScheduledFuture<?> alarm =
        timer.schedule(
            () -> {
              cut = true;
              close();
            },
            timeout.toNanos(),
            TimeUnit.NANOSECONDS);
    try {
      write.run();
    } catch (IOException e) {
      if (cut) {
        throw new SocketTimeoutException("no progress for " + timeout);
      }
      throw e;
    } finally {
      alarm.cancel(false);
    }
  }

  private static int millis(Duration d) {
    return (int) Math.max(1, d.toMillis()); // ClientTimeouts keeps it in range
  }
}
