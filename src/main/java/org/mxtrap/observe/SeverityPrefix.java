package org.mxtrap.observe;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The {@code %severity} log pattern word: nothing for ordinary events, {@code "warning: "}, {@code
 * "error: "} or {@code "debug: "} otherwise, as Postfix marks its maillog lines.
 */
public final class SeverityPrefix extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    String severity = severity(event.getLevel());
    return severity.equals("info") ? "" : severity + ": ";
  }

  /**
   * The severity of a line: {@code info}, {@code warning}, {@code error}, or {@code debug} for the
   * levels below info.
   */
  static String severity(Level level) {
    if (level == Level.INFO) {
      return "info";
    }
    if (level == Level.WARN) {
      return "warning";
    }
    if (level == Level.ERROR) {
      return "error";
    }
    return "debug";
  }
}
