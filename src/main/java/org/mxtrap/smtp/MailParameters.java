package org.mxtrap.smtp;

/**
 * The ESMTP parameters of MAIL FROM that we support.
 *
 * @param size the declared size from {@code SIZE=} (RFC 1870), or 0 when not declared; values
 *     beyond {@code long} saturate at {@link Long#MAX_VALUE}
 * @param bodyType {@code 7BIT} or {@code 8BITMIME} (RFC 6152); {@code 7BIT} when not given
 * @param smtpUtf8 the SMTPUTF8 parameter was given (RFC 6531)
 * @param any at least one parameter was given (they need EHLO)
 */
record MailParameters(long size, String bodyType, boolean smtpUtf8, boolean any) {
  static final MailParameters NONE = new MailParameters(0, "7BIT", false, false);
}
