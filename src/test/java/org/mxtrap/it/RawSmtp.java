package org.mxtrap.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A byte-exact SMTP client for tests: sends exactly the bytes it is given and reads whole replies
 * (multi-line ones joined with {@code \n}).
 */
public final class RawSmtp implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  public RawSmtp(int port) throws IOException {
    this(InetAddress.getLoopbackAddress(), port);
  }

  public RawSmtp(InetAddress address, int port) throws IOException {
    this(address, port, null);
  }

  /** Connects from the loopback source address {@code from} (e.g. 127.0.0.2), or any if null. */
  public RawSmtp(InetAddress address, int port, InetAddress from) throws IOException {
    socket = new Socket();
    if (from != null) {
      socket.bind(new java.net.InetSocketAddress(from, 0));
    }
    socket.connect(new java.net.InetSocketAddress(address, port), 10_000);
    socket.setSoTimeout(30_000);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  /** Sends {@code bytes} as they are (no line end added). */
  public RawSmtp send(String bytes) throws IOException {
    return send(bytes.getBytes(StandardCharsets.UTF_8));
  }

  public RawSmtp send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** Sends {@code line} + CRLF and returns the reply. */
  public String command(String line) throws IOException {
    send(line + "\r\n");
    return reply();
  }

  /** Reads one complete reply; returns null at end of stream. */
  public String reply() throws IOException {
    StringBuilder all = new StringBuilder();
    while (true) {
      String line = line();
      if (line == null) {
        return all.isEmpty() ? null : all.toString();
      }
      if (!all.isEmpty()) {
        all.append('\n');
      }
      all.append(line);
      if (line.length() < 4 || line.charAt(3) != '-') {
        return all.toString();
      }
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        byte[] bytes = b.toByteArray();
        int n =
            bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
  }

  /** How long a read waits before it fails with a timeout (30 s unless set). */
  public RawSmtp readTimeout(java.time.Duration limit) throws IOException {
    socket.setSoTimeout((int) limit.toMillis());
    return this;
  }

  /** True when the server has closed the connection (reads end of stream). */
  public boolean closedByServer() throws IOException {
    try {
      return in.read() == -1;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
