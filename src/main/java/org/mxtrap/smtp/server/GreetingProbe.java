package org.mxtrap.smtp.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;

/**
 * Checks that an SMTP server is there the way a sending MTA would find it: a TCP connection within
 * the timeout, then a complete {@code 220} greeting within the timeout, then {@code QUIT}. Anything
 * else (refused, timed out, a 421 or 554 greeting, garbage) is a failure.
 */
public final class GreetingProbe {
  private static final int MAX_GREETING = 4096;

  private final Duration timeout;

  public GreetingProbe(Duration timeout) {
    this.timeout = timeout;
  }

  /** Empty when {@code target} greeted with 220; else why not, in words for the logs. */
  public Optional<String> probe(InetSocketAddress target) {
    String where = Addresses.literal(target.getAddress(), target.getPort());
    int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    try (Socket s = new Socket()) {
      s.connect(target, ms);
      s.setSoTimeout(ms);
      long deadline = System.nanoTime() + timeout.toNanos();
      String greeting = readReply(s.getInputStream(), deadline);
      if (greeting == null) {
        return Optional.of("probe of " + where + ": no complete greeting");
      }
      if (!greeting.startsWith("220")) {
        return Optional.of("probe of " + where + ": greeting " + firstLine(greeting));
      }
      OutputStream out = s.getOutputStream();
      out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("probe of " + where + ": " + e.getMessage());
    }
  }

  /** The whole reply (all lines) or null when it did not end within the limits. */
  private static @Nullable String readReply(InputStream in, long deadline) throws IOException {
    StringBuilder b = new StringBuilder();
    int lineStart = 0;
    while (b.length() < MAX_GREETING && System.nanoTime() < deadline) {
      int c = in.read();
      if (c < 0) {
        return null;
      }
      b.append((char) c);
      if (c == '\n') {
        String line = b.substring(lineStart);
        if (line.length() < 4 || line.charAt(3) != '-') {
          return b.toString();
        }
        lineStart = b.length();
      }
    }
    return null;
  }

  private static String firstLine(String reply) {
    int end = reply.indexOf('\r');
    return end < 0 ? reply.strip() : reply.substring(0, end);
  }
}
