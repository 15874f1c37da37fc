package org.mxtrap.delivery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.ReversePath;
import org.mxtrap.core.TraceInfo;
import org.mxtrap.queue.QueueEntry;

/**
 * A non-delivery report (RFC 3464 {@code multipart/report; report-type=delivery-status}) for the
 * recipients of one message that failed or expired. It is sent from the null reverse path, so a DSN
 * about a DSN is never made (RFC 5321 6.1); the queue runner never asks for one.
 *
 * <p>Parts: a short human-readable explanation, the {@code message/delivery-status} fields, and the
 * original message's header as {@code text/rfc822-headers} (the body is not returned).
 */
final class DeliveryStatusNotification {
  /** Header octets of the original message returned, at most. */
  static final int MAX_RETURNED_HEADER = 64 * 1024;

  private DeliveryStatusNotification() {}

  /** One recipient the DSN reports on. */
  record Failure(ForwardPath recipient, EnhancedStatus status, String text) {}

  /** The envelope of a DSN for {@code original}: from {@code <>} to its reverse path. */
  static Envelope envelope(QueueEntry original) {
    Mailbox sender = original.envelope().reversePath().mailbox();
    if (sender == null) {
      throw new IllegalArgumentException("never a DSN for a null reverse path");
    }
    return new Envelope(
        ReversePath.NULL,
        List.of(new ForwardPath(sender)),
        original.envelope().bodyType(),
        original.envelope().smtpUtf8());
  }

  /** The "with" of a DSN's trace: no client sent it. */
  static final String PROTOCOL = "LOCAL";

  /** The trace of a DSN: made by us, on the host and layout entry that accepted the original. */
  static TraceInfo trace(QueueEntry original, String hostname, Instant now) {
    InetSocketAddress local = original.trace().local();
    return new TraceInfo(
        local, hostname, hostname, local, original.trace().entry(), PROTOCOL, null, now);
  }

  /** The DSN content, CRLF line ends. {@code originalContent} is read up to its header's end. */
  static byte[] content(
      QueueEntry original,
      List<Failure> failures,
      String hostname,
      Instant now,
      InputStream originalContent)
      throws IOException {
    String boundary = original.id() + "/" + hostname;
    String date = ReceivedHeader.format(now);
    StringBuilder b = new StringBuilder(2048);
    b.append("From: MAILER-DAEMON@").append(hostname).append(" (Mail Delivery System)\r\n");
    b.append("To: ").append(original.envelope().reversePath().mailbox()).append("\r\n");
    b.append("Subject: Undelivered Mail Returned to Sender\r\n");
    b.append("Date: ").append(date).append("\r\n");
    b.append("Message-ID: <")
        .append(original.id())
        .append(".dsn@")
        .append(hostname)
        .append(">\r\n");
    b.append("Auto-Submitted: auto-replied\r\n");
    b.append("MIME-Version: 1.0\r\n");
    b.append("Content-Type: multipart/report; report-type=delivery-status;\r\n");
    b.append("\tboundary=\"").append(boundary).append("\"\r\n");
    b.append("\r\n");
    b.append("This is a MIME-encapsulated message.\r\n\r\n");

    b.append("--").append(boundary).append("\r\n");
    b.append("Content-Description: Notification\r\n");
    b.append("Content-Type: text/plain; charset=utf-8\r\n\r\n");
    b.append("This is the mail system at host ").append(hostname).append(".\r\n\r\n");
    b.append("I'm sorry to have to inform you that your message could not\r\n");
    b.append("be delivered to one or more recipients.\r\n\r\n");
    for (Failure f : failures) {
      b.append("<").append(f.recipient().mailbox()).append(">: ").append(oneLine(f.text()));
      b.append("\r\n");
    }
    b.append("\r\n");

    b.append("--").append(boundary).append("\r\n");
    b.append("Content-Description: Delivery report\r\n");
    b.append("Content-Type: message/delivery-status\r\n\r\n");
    b.append("Reporting-MTA: dns; ").append(hostname).append("\r\n");
    b.append("X-Mxtrap-Queue-ID: ").append(original.id()).append("\r\n");
    b.append("Arrival-Date: ").append(ReceivedHeader.format(original.arrival())).append("\r\n");
    for (Failure f : failures) {
      String address = f.recipient().mailbox().toString();
      boolean ascii = address.chars().allMatch(c -> c < 0x80);
      b.append("\r\n");
      b.append("Final-Recipient: ").append(ascii ? "rfc822; " : "utf-8; ").append(address);
      b.append("\r\n");
      b.append("Action: failed\r\n");
      b.append("Status: ").append(f.status()).append("\r\n");
      b.append("Diagnostic-Code: X-mxtrap; ").append(oneLine(f.text())).append("\r\n");
      b.append("Last-Attempt-Date: ").append(date).append("\r\n");
    }
    b.append("\r\n");

    b.append("--").append(boundary).append("\r\n");
    b.append("Content-Description: Undelivered Message Headers\r\n");
    b.append("Content-Type: text/rfc822-headers\r\n\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    out.write(b.toString().getBytes(StandardCharsets.UTF_8));
    out.write(header(originalContent));
    out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  /** The header section of a message: up to and including the CRLF before the empty line. */
  private static byte[] header(InputStream in) throws IOException {
    ByteArrayOutputStream h = new ByteArrayOutputStream(1024);
    int last3 = 0;
    int c;
    while (h.size() < MAX_RETURNED_HEADER && (c = in.read()) >= 0) {
      h.write(c);
      last3 = (last3 << 8 | c) & 0xffffff;
      if (last3 == ('\n' << 16 | '\r' << 8 | '\n')) {
        byte[] all = h.toByteArray();
        return java.util.Arrays.copyOf(all, all.length - 2); // drop the empty line's CRLF
      }
    }
    byte[] all = h.toByteArray();
    boolean endsInCrlf =
        all.length >= 2 && all[all.length - 2] == '\r' && all[all.length - 1] == '\n';
    if (all.length > 0 && !endsInCrlf) {
      h.write('\r');
      h.write('\n');
    }
    return h.toByteArray();
  }

  private static String oneLine(String s) {
    return s.replace('\r', ' ').replace('\n', ' ');
  }
}
