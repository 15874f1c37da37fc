package org.mxtrap.observe;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.Map;

/**
 * The {@code %context} log pattern word: what the bracket after the program name holds, {@code
 * mxtrap/smtpd[4F2A9C01]}. The MDC key {@code session} when a thread set it (queue runner, admin
 * API); else, for a thread named {@code smtpd-ID} (one per SMTP connection), that ID; else {@code
 * main}. SMTP sessions name their thread instead of using the MDC because a parked virtual thread
 * keeps its MDC map: with thousands of idle sessions that is memory, and a name costs one string.
 */
public final class LogContext extends ClassicConverter {
  /** The prefix of a connection thread's name; the rest is its session ID. */
  public static final String SESSION_THREAD = "smtpd-";

  @Override
  public String convert(ILoggingEvent event) {
    return of(event);
  }

  /** What the bracket holds for {@code event}. */
  static String of(ILoggingEvent event) {
    Map<String, String> mdc = event.getMDCPropertyMap();
    String session = mdc == null ? null : mdc.get("session");
    if (session != null) {
      return session;
    }
    String thread = event.getThreadName();
    if (thread != null && thread.startsWith(SESSION_THREAD)) {
      return thread.substring(SESSION_THREAD.length());
    }
    return "main";
  }
}
