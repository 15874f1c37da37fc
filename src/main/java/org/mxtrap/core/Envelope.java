package org.mxtrap.core;

import java.util.List;
import java.util.Objects;

/**
 * The SMTP envelope of one mail transaction: reverse path, the accepted forward paths in the order
 * they were given, and the MAIL parameters that delivery must honour.
 *
 * @param bodyType {@code 7BIT} or {@code 8BITMIME} (RFC 6152)
 * @param smtpUtf8 the transaction was started with the SMTPUTF8 parameter (RFC 6531)
 */
public record Envelope(
    ReversePath reversePath, List<ForwardPath> recipients, String bodyType, boolean smtpUtf8) {

  public Envelope {
    Objects.requireNonNull(reversePath, "reversePath");
    recipients = List.copyOf(recipients);
    Objects.requireNonNull(bodyType, "bodyType");
  }
}
