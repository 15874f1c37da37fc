package org.mxtrap.postfix;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Frames policy requests off one connection, within bounds (SMTPD_POLICY_README, "Protocol
 * description"): a request is {@code name=value} lines, each ended by a newline, and ends with an
 * empty line. The value is everything after the first {@code =} (it may hold {@code =} itself); a
 * CR before the newline is dropped, for hand-typed requests. An attribute given twice keeps its
 * last value. Octets are read as UTF-8 (SMTPUTF8 senders and recipients); bad sequences become
 * U+FFFD, which no attribute the engine reads can hold unnoticed.
 *
 * <p>Not thread-safe: one connection's thread reads it.
 */
final class RequestReader {
  private final ReadableByteChannel in;
  private final PolicyServer.Bounds bounds;
  private final ByteBuffer buffer = ByteBuffer.allocate(4096).flip();

  RequestReader(ReadableByteChannel in, PolicyServer.Bounds bounds) {
    this.in = in;
    this.bounds = bounds;
  }

  /**
   * The next request's attributes, or null when the client closed the connection between requests.
   *
   * @param started run once, when the request's first octet is here (at once when it is buffered
   *     already): from then on the request's deadline runs, not the idle one
   * @throws PolicyRequest.Malformed a line without {@code =}, or a line, an attribute count or a
   *     whole request over its bound
   * @throws EOFException the client closed in the middle of a request
   */
  @Nullable Map<String, String> next(Runnable started) throws IOException, PolicyRequest.Malformed {
    if (!buffer.hasRemaining() && !fill()) {
      return null;
    }
    started.run();
    Map<String, String> attributes = new HashMap<>();
    long octets = 0;
    while (true) {
      byte[] line = line();
      octets += line.length + 1;
      if (octets > bounds.maxRequestOctets()) {
        throw new PolicyRequest.Malformed(
            "request longer than " + bounds.maxRequestOctets() + " octets");
      }
      if (line.length == 0) {
        return attributes;
      }
      String text = new String(line, StandardCharsets.UTF_8);
      int eq = text.indexOf('=');
      if (eq <= 0) {
        throw new PolicyRequest.Malformed("not a name=value line: " + abbreviate(text));
      }
      attributes.put(text.substring(0, eq), text.substring(eq + 1));
      if (attributes.size() > bounds.maxAttributes()) {
        throw new PolicyRequest.Malformed(
            "more than " + bounds.maxAttributes() + " attributes in a request");
      }
    }
  }

  /** One line without its newline (and a CR before it); at most {@code maxLineOctets}. */
  private byte[] line() throws IOException, PolicyRequest.Malformed {
    byte[] out = new byte[Math.min(256, bounds.maxLineOctets())];
    int n = 0;
    while (true) {
      if (!buffer.hasRemaining() && !fill()) {
        throw new EOFException("the client closed in the middle of a request");
      }
      byte b = buffer.get();
      if (b == '\n') {
        int end = n > 0 && out[n - 1] == '\r' ? n - 1 : n;
        return Arrays.copyOf(out, end);
      }
      if (n == bounds.maxLineOctets()) {
        throw new PolicyRequest.Malformed("line longer than " + bounds.maxLineOctets() + " octets");
      }
      if (n == out.length) {
        out = Arrays.copyOf(out, Math.min(out.length * 2, bounds.maxLineOctets()));
      }
      out[n++] = b;
    }
  }

  /** Reads more into the empty buffer; false at the end of the stream. */
  private boolean fill() throws IOException {
    buffer.clear();
    int n;
    do {
      n = in.read(buffer);
    } while (n == 0);
    buffer.flip();
    return n > 0;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
