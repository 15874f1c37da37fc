package org.mxtrap.smtp;

/**
 * Where an SMTP session is. Every transition is made by {@link SmtpSession}; switches over this
 * type are exhaustive, so a new state cannot be forgotten. The TLS state is a fact of the {@link
 * Transport}, not duplicated here.
 */
sealed interface SessionState {

  /** After the greeting, or after STARTTLS (RFC 3207 4.2): HELO/EHLO is needed first. */
  record Connected() implements SessionState {}

  /** HELO or EHLO was accepted; no mail transaction is open. */
  record Greeted(Hello hello) implements SessionState {}

  /** MAIL was accepted; recipients may be empty until the first accepted RCPT. */
  record InTransaction(Hello hello, MailTransaction transaction) implements SessionState {}

  /** QUIT, end of input, timeout, too many errors, failed TLS handshake: nothing more is read. */
  record Ended() implements SessionState {}

  /**
   * The connection state that outlives transactions.
   *
   * @param name the HELO/EHLO argument as given
   * @param extended EHLO rather than HELO: ESMTP parameters are allowed
   */
  record Hello(String name, boolean extended) {}
}
