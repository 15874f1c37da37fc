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
 * @param commandTimeout how long we wait for each command line, and for each line of DATA
 * @param maxErrors bad commands in a session before we say 421 and close (Postfix's hard error
 *     limit)
 */
public record Limits(
    int maxConnections,
    int maxPerIp,
    long maxMessageSize,
    int maxRecipients,
    Duration commandTimeout,
    int maxErrors) {

  public static final Limits DEFAULTS =
      new Limits(20_000, 20, 50L * 1024 * 1024, 100, Duration.ofMinutes(5), 20);
}
