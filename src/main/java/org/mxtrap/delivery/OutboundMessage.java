package org.mxtrap.delivery;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.ReversePath;
import org.mxtrap.core.TraceInfo;

/**
 * One mail transaction for the SMTP/LMTP client to send.
 *
 * @param recipients the forward paths to give in RCPT, in this order; at least one
 * @param eightBitMime the content needs 8BITMIME (it came with {@code BODY=8BITMIME}, RFC 6152)
 * @param smtpUtf8 the transaction needs SMTPUTF8 (RFC 6531)
 * @param size octets of content, for SIZE (RFC 1870)
 * @param content the content with CRLF line ends, not dot-stuffed (the client stuffs it), opened
 *     once per attempt
 * @param origin how the message reached us, when a client sent it (not for mail we made, such as a
 *     DSN): its client is named with XCLIENT to a peer that offers it
 */
public record OutboundMessage(
    ReversePath reversePath,
    List<ForwardPath> recipients,
    boolean eightBitMime,
    boolean smtpUtf8,
    long size,
    DeliveryAgent.Content content,
    @Nullable TraceInfo origin) {
  public OutboundMessage {
    Objects.requireNonNull(reversePath, "reversePath");
    recipients = List.copyOf(recipients);
    if (recipients.isEmpty()) {
      throw new IllegalArgumentException("no recipients");
    }
    if (size < 0) {
      throw new IllegalArgumentException("size " + size);
    }
    Objects.requireNonNull(content, "content");
  }

  /** A message without an origin to name. */
  public OutboundMessage(
      ReversePath reversePath,
      List<ForwardPath> recipients,
      boolean eightBitMime,
      boolean smtpUtf8,
      long size,
      DeliveryAgent.Content content) {
    this(reversePath, recipients, eightBitMime, smtpUtf8, size, content, null);
  }

  /**
   * The transaction that forwards {@code d} to {@code recipients} (all or some of its pending
   * ones): the content behind our Received header, which names the recipient only when there is
   * one. Its size is counted by reading the content once (the spool keeps no length beside it), so
   * that a peer's SIZE limit refuses the message before it is sent.
   *
   * @param by our host name, the {@code by} of the Received header
   */
  static OutboundMessage of(DeliveryAgent.Delivery d, List<ForwardPath> recipients, String by)
      throws IOException {
    byte[] received =
        ReceivedHeader.of(d.trace(), by, d.queueId(), only(recipients))
            .getBytes(StandardCharsets.UTF_8);
    long size;
    try (InputStream in = d.content().open()) {
      size = received.length + in.transferTo(OutputStream.nullOutputStream());
    }
    Envelope e = d.envelope();
    return new OutboundMessage(
        e.reversePath(),
        recipients,
        e.bodyType().equals("8BITMIME"),
        e.smtpUtf8(),
        size,
        () -> new SequenceInputStream(new ByteArrayInputStream(received), d.content().open()),
        d.trace().protocol().equals(DeliveryStatusNotification.PROTOCOL) ? null : d.trace());
  }

  /** The one recipient, for {@code for} in the Received header; null when there are several. */
  private static @Nullable ForwardPath only(List<ForwardPath> recipients) {
    return recipients.size() == 1 ? recipients.get(0) : null;
  }
}
