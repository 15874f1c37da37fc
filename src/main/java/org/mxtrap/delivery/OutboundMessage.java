package org.mxtrap.delivery;

import java.util.List;
import java.util.Objects;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.ReversePath;

/**
 * One mail transaction for the SMTP/LMTP client to send.
 *
 * @param recipients the forward paths to give in RCPT, in this order; at least one
 * @param eightBitMime the content needs 8BITMIME (it came with {@code BODY=8BITMIME}, RFC 6152)
 * @param smtpUtf8 the transaction needs SMTPUTF8 (RFC 6531)
 * @param size octets of content, for SIZE (RFC 1870)
 * @param content the content with CRLF line ends, not dot-stuffed (the client stuffs it), opened
 *     once per attempt
 */
public record OutboundMessage(
    ReversePath reversePath,
    List<ForwardPath> recipients,
    boolean eightBitMime,
    boolean smtpUtf8,
    long size,
    DeliveryAgent.Content content) {
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
}
