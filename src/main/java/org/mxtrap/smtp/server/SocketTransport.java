package org.mxtrap.smtp.server;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;
import org.mxtrap.smtp.Transport;

/** A {@link Transport} over a TCP socket that can be upgraded to TLS once. */
final class SocketTransport implements Transport {
  private final @Nullable SSLContext tls;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private @Nullable String tlsDescription;

  SocketTransport(Socket socket, @Nullable SSLContext tls) throws IOException {
    this.socket = socket;
    this.tls = tls;
    this.in = socket.getInputStream();
    this.out = new BufferedOutputStream(socket.getOutputStream(), 8192);
  }

  @Override
  public InputStream in() {
    return in;
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
    out.flush();
    // autoClose: closing the TLS socket closes the TCP socket under it. Nothing read from the
    // plain stream is passed on: pipelined plaintext is dropped here (CVE-2011-0411).
    SSLSocket s =
        (SSLSocket) tls.getSocketFactory().createSocket(socket, null, socket.getPort(), true);
    s.setUseClientMode(false);
    s.setSoTimeout(socket.getSoTimeout());
    s.startHandshake();
    SSLSession session = s.getSession();
    socket = s;
    in = s.getInputStream();
    out = new BufferedOutputStream(s.getOutputStream(), 8192);
    tlsDescription = session.getProtocol() + " " + session.getCipherSuite();
  }

  @Override
  public @Nullable String tlsDescription() {
    return tlsDescription;
  }

  /** Sends what is buffered, ignoring a peer that has gone away. */
  void flushQuietly() {
    try {
      out.flush();
    } catch (IOException ignored) {
      // the peer is gone; nothing left to tell it
    }
  }

  void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing is best effort
    }
  }
}
