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
    Level level = event.getLevel();
    if (level == Level.INFO) {
      return "";
    }
    if (level == Level.WARN) {
      return "warning: ";
    }
    if (level == Level.ERROR) {
      return "error: ";
    }
    return "debug: ";
  }
}
