package org.mxtrap.smtp.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.Socket;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;
import org.mxtrap.smtp.Transport;

/** A {@link Transport} over a TCP socket that can be upgraded to TLS once. */
final class SocketTransport implements Transport {
  private final @Nullable SSLContext tls;
  private final Socket plain;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private @Nullable String tlsDescription;
  // Written by the session's thread and by the thread that stops the server.
  private volatile boolean awaitingCommand;
  private volatile boolean stopping;

  SocketTransport(Socket socket, @Nullable SSLContext tls) throws IOException {
    this.plain = socket;
    this.socket = socket;
    this.tls = tls;
    this.in = socket.getInputStream();
    // Unbuffered: the session collects its replies and writes them in one call.
    this.out = socket.getOutputStream();
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
  public boolean tlsAvailable() {
    return tls != null && tlsDescription == null;
  }

  @Override
  public void startTls() throws IOException {
    if (!tlsAvailable()) {
      throw new IllegalStateException("STARTTLS not available");
    }
    // autoClose: closing the TLS socket closes the TCP socket under it. Nothing read from the
    // plain stream is passed on: pipelined plaintext is dropped here (CVE-2011-0411).
    SSLSocket s =
        (SSLSocket) tls.getSocketFactory().createSocket(socket, null, socket.getPort(), true);
    s.setUseClientMode(false);
    s.setSSLParameters(TlsContexts.serverParameters(s.getSSLParameters()));
    s.setSoTimeout(socket.getSoTimeout());
    s.startHandshake();
    SSLSession session = s.getSession();
    socket = s;
    in = s.getInputStream();
    out = s.getOutputStream();
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
    closeQuietly(plain);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing is best effort
    }
  }
}
