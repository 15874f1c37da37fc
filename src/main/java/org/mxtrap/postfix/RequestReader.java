package org.mxtrap.postfix;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Frames policy requests off one connection, within bounds (SMTPD_POLICY_README, "Protocol
 * description"): a request is {@code name=value} lines, each ended by a newline, and ends with an
 * empty line. The value is everything after the first {@code =} (it may hold {@code =} itself); a
 * CR before the newline is dropped, for hand-typed requests. An attribute given twice keeps its
 * last value. Only the attributes asked for are kept (Postfix sends some 30, the engine reads a
 * few); the bounds count every line. Octets are read as UTF-8 (SMTPUTF8 senders and recipients);
 * bad sequences become U+FFFD, which no attribute the engine reads can hold unnoticed.
 *
 * <p>Fed whatever octets arrived ({@link #take}); keeps the part of a request that has come so far.
 * Not thread-safe: one connection's event loop feeds it.
 */
final class RequestReader {
  private final PolicyServer.Bounds bounds;
  private final String[] names;
  private final byte[][] nameOctets;
  private byte[] line = new byte[256];
  private int lineLength;
  private long octets;
  private int lines;
  // The request being read; null between requests.
  private @Nullable Map<String, String> attributes;

  /**
   * @param names the attributes to keep
   */
  RequestReader(PolicyServer.Bounds bounds, Set<String> names) {
    this.bounds = bounds;
    this.names = names.toArray(String[]::new);
    this.nameOctets = new byte[this.names.length][];
    for (int i = 0; i < this.names.length; i++) {
      nameOctets[i] = this.names[i].getBytes(StandardCharsets.UTF_8);
    }
  }

  /** Whether part of a request has arrived: from then on its deadline runs, not the idle one. */
  boolean started() {
    return attributes != null;
  }

  /**
   * Consumes {@code in} up to the end of the next request and returns its attributes; or, when
   * {@code in} ends first, consumes all of it and returns null. What follows a request stays in
   * {@code in}.
   *
   * @throws PolicyRequest.Malformed a line without {@code =}, or a line, an attribute count or a
   *     whole request over its bound
   */
  @Nullable Map<String, String> take(ByteBuffer in) throws PolicyRequest.Malformed {
    while (in.hasRemaining()) {
      Map<String, String> request = attributes;
      if (request == null) {
        request = new HashMap<>();
        attributes = request;
      }
      int start = in.position();
      int newline = start;
      while (newline < in.limit() && in.get(newline) != '\n') {
        newline++;
      }
      int chunk = newline - start;
      if (lineLength + chunk > bounds.maxLineOctets()) {
        throw new PolicyRequest.Malformed("line longer than " + bounds.maxLineOctets() + " octets");
      }
      if (lineLength + chunk > line.length) {
        line = Arrays.copyOf(line, Math.min(bounds.maxLineOctets(), 2 * (lineLength + chunk)));
      }
      in.get(line, lineLength, chunk);
      lineLength += chunk;
      if (!in.hasRemaining()) {
        return null; // the line goes on in the next octets
      }
      in.get(); // the newline
      int end = lineLength > 0 && line[lineLength - 1] == '\r' ? lineLength - 1 : lineLength;
      octets += lineLength + 1;
      lineLength = 0;
      if (octets > bounds.maxRequestOctets()) {
        throw new PolicyRequest.Malformed(
            "request longer than " + bounds.maxRequestOctets() + " octets");
      }
      if (end == 0) {
        attributes = null;
        octets = 0;
        lines = 0;
        return request;
      }
      if (++lines > bounds.maxAttributes()) {
        throw new PolicyRequest.Malformed(
            "more than " + bounds.maxAttributes() + " attributes in a request");
      }
      int eq = 0;
      while (eq < end && line[eq] != '=') {
        eq++;
      }
      if (eq == 0 || eq == end) {
        throw new PolicyRequest.Malformed(
            "not a name=value line: "
                + abbreviate(new String(line, 0, end, StandardCharsets.UTF_8)));
      }
      String name = kept(eq);
      if (name != null) {
        request.put(name, new String(line, eq + 1, end - eq - 1, StandardCharsets.UTF_8));
      }
    }
    return null;
  }

  /** The name of the attribute in {@code line[0..length)} when it is one to keep, else null. */
  private @Nullable String kept(int length) {
    for (int i = 0; i < names.length; i++) {
      if (Arrays.equals(line, 0, length, nameOctets[i], 0, nameOctets[i].length)) {
        return names[i];
      }
    }
    return null;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
