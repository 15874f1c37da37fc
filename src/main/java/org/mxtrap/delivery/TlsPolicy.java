package org.mxtrap.delivery;

/**
 * When the SMTP/LMTP client uses STARTTLS (RFC 3207), as {@code delivery.tls} will say.
 *
 * <p>In no mode is the server's certificate verified: without DANE or MTA-STS an MX's name and
 * certificate prove nothing, so MTAs encrypt against passive eavesdropping only (RFC 7435,
 * opportunistic security; Postfix's {@code may} and {@code encrypt} levels). {@link #REQUIRED}
 * therefore means "encrypted", not "authenticated".
 */
public enum TlsPolicy {
  /**
   * STARTTLS when the peer offers it. When the handshake fails, which is before any mail data was
   * sent, the client connects again and delivers in plaintext on the new connection (the old one is
   * in an unknown TLS state). A refused STARTTLS command continues in plaintext on the same
   * connection.
   */
  OPPORTUNISTIC,
  /**
   * STARTTLS or nothing: a peer that does not offer it, refuses it, or fails the handshake gets
   * every recipient deferred ({@code 4.7.10}, {@code 4.7.5}), never plaintext.
   */
  REQUIRED,
  /** Never STARTTLS. */
  OFF
}
