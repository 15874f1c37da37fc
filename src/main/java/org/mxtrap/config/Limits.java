package org.mxtrap.config;

import java.time.Duration;

/**
 * Limits on what a client controls (PRODUCT.md {@code limits}). Connection counts are per layout
 * entry, so a flood on one entry never starves another.
 *
 * @param maxConnections concurrent connections per layout entry
 * @param maxPerIp concurrent connections per client address per layout entry
 * @param maxMessageSize octets of message content (SIZE and actual)
 * @param maxRecipients accepted RCPT per transaction
 * @param commandTimeout the deadline for a whole command line (from its first octet, or from the
 *     moment we wait for it), for every write to the client, and the base of the DATA deadline
 * @param maxErrors bad commands in a session before we say 421 and close (Postfix's hard error
 *     limit)
 * @param minDataRate octets per second a client must keep up during DATA: the content of a message
 *     must arrive within {@code commandTimeout} plus one second per {@code minDataRate} octets
 *     received (Postfix's {@code smtpd_min_data_rate})
 * @param messageMemory octets of message content held in memory across all sessions at once; a
 *     session that finds no room writes to the spool instead. {@link #AUTO}: a quarter of the heap.
 */
public record Limits(
    int maxConnections,
    int maxPerIp,
    long maxMessageSize,
    int maxRecipients,
    Duration commandTimeout,
    int maxErrors,
    long minDataRate,
    long messageMemory) {

  /** The longest {@code commandTimeout} (RFC 5321 4.5.3.2 asks for 5 minutes). */
  public static final Duration MAX_COMMAND_TIMEOUT = Duration.ofHours(1);

  /** {@link #messageMemory()}: derived from the heap at start. */
  public static final long AUTO = 0;

  public static final Limits DEFAULTS =
      new Limits(20_000, 20, 50L * 1024 * 1024, 100, Duration.ofMinutes(5), 20, 500, AUTO);
}
