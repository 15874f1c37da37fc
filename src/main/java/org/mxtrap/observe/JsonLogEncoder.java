package org.mxtrap.observe;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.jspecify.annotations.Nullable;

/**
 * The log line of {@code log.format: json}: one JSON object a line ({@link Json}), with the fields
 * of the text line (logback.xml) in its order:
 *
 * <pre>{@code
 * {"time":"2026-11-26T21:00:00.123Z","process":"mxtrap/smtpd","context":"4F2A9C01",
 *  "severity":"info","message":"connect from [192.0.2.7]:53122 to 127.0.0.1:2525 ..."}
 * }</pre>
 *
 * (one line; broken here). {@code time} is UTC with milliseconds, as the text line writes it;
 * {@code process} is {@code mxtrap/} and the logger's name; {@code context} is the bracket ({@link
 * LogContext}); {@code severity} is {@code info}, {@code warning}, {@code error} or {@code debug}
 * ({@link SeverityPrefix}); {@code message} the text after the colon. {@code stack_trace}, only
 * when the event carries an exception, is what the text log prints on the lines after it, without
 * the last line end. Thread-safe.
 */
public final class JsonLogEncoder extends EncoderBase<ILoggingEvent> {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);

  /** One line's fields, in the order they are written. */
  private record Line(
      String time,
      String process,
      String context,
      String severity,
      String message,
      @Json.OmitIfNull @Nullable String stackTrace) {}

  @Override
  public byte @Nullable [] headerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    String logger = event.getLoggerName();
    IThrowableProxy thrown = event.getThrowableProxy();
    Line line =
        new Line(
            TIME.format(event.getInstant()),
            "mxtrap/" + logger.substring(logger.lastIndexOf('.') + 1),
            LogContext.of(event),
            SeverityPrefix.severity(event.getLevel()),
            event.getFormattedMessage(),
            thrown == null ? null : ThrowableProxyUtil.asString(thrown).stripTrailing());
    return (Json.write(line) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte @Nullable [] footerBytes() {
    return null;
  }
}
