package org.mxtrap.delivery;

import java.time.Duration;
import java.util.Objects;

/**
 * How long the SMTP/LMTP client waits at each step before it gives up on the connection. The
 * defaults are RFC 5321 4.5.3.2's, where it names one; the others are Postfix's.
 *
 * @param connect the TCP connection (Postfix {@code smtp_connect_timeout}, 30 s)
 * @param greeting the 220 greeting (RFC: 5 min)
 * @param command EHLO, HELO, LHLO, STARTTLS and its handshake, RSET and QUIT (Postfix: 5 min)
 * @param mail the reply to MAIL (RFC: 5 min)
 * @param rcpt the reply to each RCPT (RFC: 5 min)
 * @param dataInit the 354 reply to DATA (RFC: 2 min)
 * @param dataBlock each write of message content (RFC: 3 min)
 * @param dataEnd the reply, or each LMTP reply, after the end of data (RFC: 10 min)
 */
public record ClientTimeouts(
    Duration connect,
    Duration greeting,
    Duration command,
    Duration mail,
    Duration rcpt,
    Duration dataInit,
    Duration dataBlock,
    Duration dataEnd) {

  public static final ClientTimeouts DEFAULTS =
      new ClientTimeouts(
          Duration.ofSeconds(30),
          Duration.ofMinutes(5),
          Duration.ofMinutes(5),
          Duration.ofMinutes(5),
          Duration.ofMinutes(5),
          Duration.ofMinutes(2),
          Duration.ofMinutes(3),
          Duration.ofMinutes(10));

  public ClientTimeouts {
    for (Duration d :
        new Duration[] {connect, greeting, command, mail, rcpt, dataInit, dataBlock, dataEnd}) {
      positive(d);
    }
  }

  /** Every step the same timeout: for tests. */
  public static ClientTimeouts all(Duration d) {
    return new ClientTimeouts(d, d, d, d, d, d, d, d);
  }

  private static void positive(Duration d) {
    Objects.requireNonNull(d, "timeout");
    if (d.isNegative() || d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a timeout is positive and under 24 days: " + d);
    }
  }
}
