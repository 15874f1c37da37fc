package org.mxtrap.queue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.MessageSink;
import org.mxtrap.core.ReversePath;
import org.mxtrap.core.Role;
import org.mxtrap.core.TraceInfo;

/** Envelopes, traces and messages for spool and delivery tests. */
public final class SpoolFixtures {
  private SpoolFixtures() {}

  public static final String CONTENT = "Subject: hi\r\nFrom: bob@example.org\r\n\r\nHello.\r\n";

  public static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  public static Mailbox mailbox(String address) {
    int at = address.lastIndexOf('@');
    return new Mailbox(address.substring(0, at), address.substring(at + 1));
  }

  public static Envelope envelope(String from, String... to) {
    return new Envelope(
        from.isEmpty() ? ReversePath.NULL : new ReversePath(mailbox(from)),
        Arrays.stream(to).map(t -> new ForwardPath(mailbox(t))).toList(),
        "8BITMIME",
        false);
  }

  public static TraceInfo trace() {
    return trace("mail.example.org", "mail.example.org", "192.0.2.7", "ESMTP", null);
  }

  public static TraceInfo trace(
      String helo, String clientName, String clientIp, String protocol, String tls) {
    LayoutEntry entry = new LayoutEntry(10, "mail.example.com", ip("192.0.2.10"), 25, Role.PRIMARY);
    return new TraceInfo(
        new InetSocketAddress(ip(clientIp), 53122),
        clientName,
        helo,
        new InetSocketAddress(ip("192.0.2.10"), 25),
        entry,
        protocol,
        tls,
        Instant.parse("2025-06-03T10:00:00Z"));
  }

  /** Receives and commits one message; returns its queue ID. */
  public static String enqueue(MessageSink sink, Envelope envelope, TraceInfo trace, String content)
      throws IOException {
    try (MessageSink.Incoming in = sink.open(envelope, trace)) {
      in.content().write(content.getBytes(StandardCharsets.UTF_8));
      return in.commit();
    }
  }

  public static String enqueue(MessageSink sink, String from, String... to) throws IOException {
    return enqueue(sink, envelope(from, to), trace(), CONTENT);
  }

  public static String read(InputStream in) throws IOException {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  public static List<String> names(java.nio.file.Path dir) throws IOException {
    try (var s = java.nio.file.Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
