package org.mxtrap.observe;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/** The log's lifecycle: the one place that knows logging is logback. */
public final class Logs {
  private Logs() {}

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
