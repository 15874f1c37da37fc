package org.mxtrap.queue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.ReversePath;
import org.mxtrap.core.Role;
import org.mxtrap.core.TraceInfo;

/**
 * The message file: one per message, {@code queue/active/<id>}, written once, in place, and never
 * changed. A message is committed when its file ends in the trailer and both the file and {@code
 * active/} are fsynced. Writing in place rather than renaming from a temporary directory saves a
 * rename and, on ext4, a journal commit per message; the trailer is what tells a whole file from
 * one cut short by a crash, which was never acknowledged and is discarded when the spool opens.
 *
 * <pre>
 * mxtrap-queue 1
 * id 01JXQ3M5T8000
 * arrival 1748944800123
 * from bob example.org                 (or "from &lt;&gt;" for the null reverse path)
 * rcpt alice example.com               (one line per recipient, in envelope order)
 * body 8BITMIME
 * smtputf8 0
 * client 192.0.2.7 53122
 * client-name mail.example.org         (only when the reverse name is known)
 * helo mail.example.org
 * local 192.0.2.10 25
 * entry 10 mail.example.com 192.0.2.10 25 primary
 * protocol ESMTPS
 * tls TLSv1.3%20TLS_AES_256_GCM_SHA384  (only for TLS sessions)
 * received 2025-06-03T10:00:00.123456Z
 *                                      (an empty line ends the header)
 * Received: ...                        (the content, exactly as received: CRLF line ends,
 * ...                                   dot-unstuffed, no end-of-data line)
 * mxtrap-end 00000000000000004096      (the trailer: 32 octets, the content length in 20 digits)
 * </pre>
 *
 * <p>Header lines are UTF-8, a keyword, a space and space-separated fields ending in LF. Every
 * field is escaped: {@code %}, space, control characters and DEL become {@code %XX} (UTF-8 octets
 * in upper-case hex); the empty string is written as a lone {@code %}. Readers ignore keywords they
 * do not know, so later versions may add lines.
 */
final class MessageFile {
  static final String MAGIC = "mxtrap-queue 1";
  private static final int MAX_HEADER = 1 << 20;

  private MessageFile() {}

  /**
   * A message file that is not whole: a crash cut its writing short, so it was never acknowledged
   * and can be discarded.
   */
  static final class CutShort extends IOException {
    CutShort(String message) {
      super(message);
    }
  }

  /** The trailer's fixed length: {@code "mxtrap-end "}, 20 digits, LF. */
  static final int TRAILER_LENGTH = 32;

  private static final String TRAILER_MAGIC = "mxtrap-end ";

  /** The trailer that ends a whole message file with {@code contentLength} octets of content. */
  static byte[] trailer(long contentLength) {
    return String.format("%s%020d\n", TRAILER_MAGIC, contentLength)
        .getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * The content length a trailer states, checked against the file: {@code fileSize} must be header,
   * content and trailer exactly.
   *
   * @throws IOException when the trailer is missing or does not fit: the file is not whole
   */
  static long contentLength(byte[] trailer, long contentOffset, long fileSize) throws IOException {
    String t = new String(trailer, StandardCharsets.US_ASCII);
    if (trailer.length != TRAILER_LENGTH
        || !t.startsWith(TRAILER_MAGIC)
        || t.charAt(TRAILER_LENGTH - 1) != '\n') {
      throw new CutShort("message file has no trailer: cut short");
    }
    long length;
    try {
      length = Long.parseLong(t.substring(TRAILER_MAGIC.length(), TRAILER_LENGTH - 1));
    } catch (NumberFormatException e) {
      throw new IOException("message file trailer is damaged", e);
    }
    if (contentOffset + length + TRAILER_LENGTH != fileSize) {
      throw new CutShort("message file length does not match its trailer: cut short");
    }
    return length;
  }

  /** What the header of a message file says. {@code contentOffset} is where the content starts. */
  record Header(
      String id, Instant arrival, Envelope envelope, TraceInfo trace, long contentOffset) {}

  static byte[] header(String id, Instant arrival, Envelope envelope, TraceInfo trace) {
    StringBuilder b = new StringBuilder(512).append(MAGIC).append('\n');
    line(b, "id", id);
    line(b, "arrival", Long.toString(arrival.toEpochMilli()));
    ReversePath from = envelope.reversePath();
    if (from.mailbox() == null) {
      line(b, "from", "<>");
    } else {
      line(b, "from", from.mailbox().localPart(), from.mailbox().domain());
    }
    for (ForwardPath r : envelope.recipients()) {
      line(b, "rcpt", r.mailbox().localPart(), r.mailbox().domain());
    }
    line(b, "body", envelope.bodyType());
    line(b, "smtputf8", envelope.smtpUtf8() ? "1" : "0");
    line(b, "client", Addresses.text(trace.client().getAddress()), port(trace.client()));
    if (trace.clientName() != null) {
      line(b, "client-name", trace.clientName());
    }
    line(b, "helo", trace.helo());
    line(b, "local", Addresses.text(trace.local().getAddress()), port(trace.local()));
    LayoutEntry e = trace.entry();
    line(
        b,
        "entry",
        Integer.toString(e.preference()),
        e.host(),
        Addresses.text(e.address()),
        Integer.toString(e.port()),
        e.role().label());
    line(b, "protocol", trace.protocol());
    if (trace.tls() != null) {
      line(b, "tls", trace.tls());
    }
    line(b, "received", trace.received().toString());
    b.append('\n');
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Reads the header; leaves {@code in} positioned at the first octet of content. */
  static Header read(InputStream in) throws IOException {
    long offset = 0;
    List<String> lines = new ArrayList<>();
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new CutShort("message file ends inside its header");
      }
      if (++offset > MAX_HEADER) {
        throw new IOException("message file header too long");
      }
      if (c != '\n') {
        line.write(c);
        continue;
      }
      if (line.size() == 0) {
        break;
      }
      lines.add(line.toString(StandardCharsets.UTF_8));
      line.reset();
    }
    if (lines.isEmpty() || !lines.get(0).equals(MAGIC)) {
      throw new IOException("not a message file of this version");
    }
    Map<String, List<String[]>> fields = new HashMap<>();
    for (String l : lines.subList(1, lines.size())) {
      String[] parts = l.split(" ", -1);
      String[] values = new String[parts.length - 1];
      for (int i = 1; i < parts.length; i++) {
        values[i - 1] = unescape(parts[i]);
      }
      fields.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(values);
    }
    try {
      String[] from = one(fields, "from");
      ReversePath reversePath =
          from.length == 1 && from[0].equals("<>")
              ? ReversePath.NULL
              : new ReversePath(new Mailbox(from[0], from[1]));
      List<ForwardPath> rcpts = new ArrayList<>();
      for (String[] r : fields.getOrDefault("rcpt", List.of())) {
        rcpts.add(new ForwardPath(new Mailbox(r[0], r[1])));
      }
      Envelope envelope =
          new Envelope(
              reversePath, rcpts, one(fields, "body")[0], one(fields, "smtputf8")[0].equals("1"));
      String[] entry = one(fields, "entry");
      TraceInfo trace =
          new TraceInfo(
              socket(one(fields, "client")),
              optional(fields, "client-name"),
              one(fields, "helo")[0],
              socket(one(fields, "local")),
              new LayoutEntry(
                  Integer.parseInt(entry[0]),
                  entry[1],
                  InetAddress.getByName(entry[2]),
                  Integer.parseInt(entry[3]),
                  Role.parse(entry[4])),
              one(fields, "protocol")[0],
              optional(fields, "tls"),
              Instant.parse(one(fields, "received")[0]));
      return new Header(
          one(fields, "id")[0],
          Instant.ofEpochMilli(Long.parseLong(one(fields, "arrival")[0])),
          envelope,
          trace,
          offset);
    } catch (RuntimeException e) {
      throw new IOException("bad message file header: " + e, e);
    }
  }

  private static String port(InetSocketAddress a) {
    return Integer.toString(a.getPort());
  }

  private static InetSocketAddress socket(String[] f) throws IOException {
    return new InetSocketAddress(InetAddress.getByName(f[0]), Integer.parseInt(f[1]));
  }

  private static String[] one(Map<String, List<String[]>> fields, String key) {
    List<String[]> v = fields.get(key);
    if (v == null || v.size() != 1) {
      throw new IllegalArgumentException("expected one '" + key + "' line");
    }
    return v.get(0);
  }

  private static @Nullable String optional(Map<String, List<String[]>> fields, String key) {
    return fields.containsKey(key) ? one(fields, key)[0] : null;
  }

  private static void line(StringBuilder b, String key, String... values) {
    b.append(key);
    for (String v : values) {
      b.append(' ').append(escape(v));
    }
    b.append('\n');
  }

  /** The field escaping of the class comment; also used by {@link StateLog}. */
  static String escape(String s) {
    if (s.isEmpty()) {
      return "%";
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() + 8);
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if (c == '%' || c <= ' ' || c == 0x7f) {
        out.write('%');
        out.write(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        out.write(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      } else {
        out.write(c);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  static String unescape(String s) {
    if (s.equals("%")) {
      return "";
    }
    if (s.indexOf('%') < 0) {
      return s;
    }
    byte[] in = s.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
    for (int i = 0; i < in.length; i++) {
      if (in[i] == '%' && i + 2 < in.length) {
        out.write(Integer.parseInt(new String(in, i + 1, 2, StandardCharsets.US_ASCII), 16));
        i += 2;
      } else {
        out.write(in[i]);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
