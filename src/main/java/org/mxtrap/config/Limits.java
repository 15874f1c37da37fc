package org.mxtrap.config;

import java.time.Duration;
import java.util.List;

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

  // The keys of the section, with their defaults; DEFAULTS is built from them, so it comes after.

  static final Key<Limits, Integer> MAX_CONNECTIONS =
      Key.of("max_connections", Type.positiveInteger(), 20_000, Limits::maxConnections);
  static final Key<Limits, Integer> MAX_PER_IP =
      Key.of("max_per_ip", Type.positiveInteger(), 20, Limits::maxPerIp);
  static final Key<Limits, Long> MAX_MESSAGE_SIZE =
      Key.of("max_message_size", Type.size(), 50L * 1024 * 1024, Limits::maxMessageSize);
  static final Key<Limits, Integer> MAX_RECIPIENTS =
      Key.of("max_recipients", Type.positiveInteger(), 100, Limits::maxRecipients);
  static final Key<Limits, Duration> COMMAND_TIMEOUT =
      Key.of(
          "command_timeout",
          Type.duration(
              MAX_COMMAND_TIMEOUT,
              "RFC 5321 asks for 5 minutes; a longer wait lets a silent client hold its"
                  + " connection"),
          Duration.ofMinutes(5),
          Limits::commandTimeout);
  static final Key<Limits, Integer> MAX_ERRORS =
      Key.of("max_errors", Type.positiveInteger(), 20, Limits::maxErrors);
  static final Key<Limits, Long> MIN_DATA_RATE =
      Key.of("min_data_rate", Type.size(), 500L, Limits::minDataRate);
  static final Key<Limits, Long> MESSAGE_MEMORY =
      Key.of(
          "message_memory",
          Type.of(
              (in, f) -> in.reader().sizeOrAuto(f, AUTO),
              n -> n == AUTO ? "auto" : ByteSizes.format(n)),
          AUTO,
          Limits::messageMemory);

  static final Section<Limits> SECTION =
      Section.of(
          "limits",
          List.of(
              MAX_CONNECTIONS,
              MAX_PER_IP,
              MAX_MESSAGE_SIZE,
              MAX_RECIPIENTS,
              COMMAND_TIMEOUT,
              MAX_ERRORS,
              MIN_DATA_RATE,
              MESSAGE_MEMORY),
          v ->
              new Limits(
                  v.get(MAX_CONNECTIONS),
                  v.get(MAX_PER_IP),
                  v.get(MAX_MESSAGE_SIZE),
                  v.get(MAX_RECIPIENTS),
                  v.get(COMMAND_TIMEOUT),
                  v.get(MAX_ERRORS),
                  v.get(MIN_DATA_RATE),
                  v.get(MESSAGE_MEMORY)));

  public static final Limits DEFAULTS = SECTION.defaults();
}
