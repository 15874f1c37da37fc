package org.mxtrap.observe;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The log's lifecycle: the one place that knows logging is logback. */
public final class Logs {
  /** The console appender of logback.xml. */
  private static final String STDOUT = "STDOUT";

  private Logs() {}

  /**
   * From now on every log line on standard output is one JSON object ({@link JsonLogEncoder})
   * rather than text. Call once, at start, once the configuration is read and before anything logs
   * from another thread: the lines before it stay text, and a line logged while the console
   * appender is replaced may be written in both forms.
   */
  public static void writeJson() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    JsonLogEncoder encoder = new JsonLogEncoder();
    encoder.setContext(context);
    encoder.start();
    ConsoleAppender<ILoggingEvent> json = new ConsoleAppender<>();
    json.setContext(context);
    json.setName(STDOUT);
    json.setEncoder(encoder);
    json.start();
    Appender<ILoggingEvent> text = root.getAppender(STDOUT);
    root.addAppender(json);
    if (text != null) {
      root.detachAppender(text);
      text.stop();
    }
  }

  /**
   * Writes every queued log line and stops logging. Call once, last, before the process exits: log
   * lines are written by a background thread that a plain exit would cut off.
   */
  public static void shutdown() {
    ILoggerFactory f = LoggerFactory.getILoggerFactory();
    if (f instanceof LoggerContext context) {
      context.stop();
    }
  }
}
