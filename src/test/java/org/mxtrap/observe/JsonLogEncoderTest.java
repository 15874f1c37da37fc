package org.mxtrap.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonLogEncoderTest {
  private final LoggerContext context = new LoggerContext();
  private final JsonLogEncoder encoder = new JsonLogEncoder();

  /** An event as a logger call makes it, on a thread named {@code thread}. */
  private LoggingEvent event(
      String logger,
      Level level,
      String thread,
      Map<String, String> mdc,
      @Nullable Throwable thrown,
      String message,
      Object... args) {
    Logger l = context.getLogger(logger);
    LoggingEvent e = new LoggingEvent(Logger.class.getName(), l, level, message, thrown, args);
    e.setInstant(Instant.parse("2026-11-26T21:00:00Z"));
    e.setThreadName(thread);
    e.setMDCPropertyMap(mdc);
    return e;
  }

  private String encode(LoggingEvent e) {
    return new String(encoder.encode(e), StandardCharsets.UTF_8);
  }

  /** The line's fields, in the order written. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> fields(String line) {
    assertThat(line).endsWith("\n");
    assertThat(line.indexOf('\n')).as("one line").isEqualTo(line.length() - 1);
    return Json.read(line.strip(), Map.class);
  }

  @Test
  void anSmtpSessionLineHasEveryFieldOfTheTextLine() {
    String line =
        encode(
            event(
                "smtpd",
                Level.INFO,
                LogContext.SESSION_THREAD + "4F2A9C01",
                Map.of(),
                null,
                "connect from {} to {}",
                "[192.0.2.7]:53122",
                "127.0.0.1:2525"));
    assertThat(line)
        .isEqualTo(
            "{\"time\":\"2026-11-26T21:00:00.000Z\",\"process\":\"mxtrap/smtpd\","
                + "\"context\":\"4F2A9C01\",\"severity\":\"info\","
                + "\"message\":\"connect from [192.0.2.7]:53122 to 127.0.0.1:2525\"}\n");
  }

  @Test
  void theContextIsTheMdcSessionElseTheSessionThreadElseMain() {
    assertThat(
            fields(
                encode(
                    event("queue", Level.INFO, "smtpd-AB", Map.of("session", "1M8D"), null, "x"))))
        .containsEntry("context", "1M8D");
    assertThat(fields(encode(event("master", Level.INFO, "main", Map.of(), null, "x"))))
        .containsEntry("context", "main");
  }

  @Test
  void theProcessNamesTheLoggerWithoutItsPackage() {
    assertThat(fields(encode(event("org.mxtrap.Foo", Level.INFO, "main", Map.of(), null, "x"))))
        .containsEntry("process", "mxtrap/Foo");
  }

  @ParameterizedTest
  @CsvSource({"INFO,info", "WARN,warning", "ERROR,error", "DEBUG,debug", "TRACE,debug"})
  void theSeverityIsPostfixs(String level, String severity) {
    assertThat(fields(encode(event("smtpd", Level.toLevel(level), "main", Map.of(), null, "x"))))
        .containsEntry("severity", severity);
  }

  @Test
  void quotesLineEndsAndControlCharactersAreEscapedOnOneLine() {
    String message = "say \"hi\" \\ back\r\nnext\tline\u0000\u001b[31m\u2028end é";
    String line = encode(event("smtpd", Level.WARN, "main", Map.of(), null, message));
    assertThat(line)
        .contains("\\\"hi\\\"", "\\\\", "\\r\\n", "\\t", "\\u0000", "\\u001b", "\\u2028", "é");
    assertThat(fields(line)).containsEntry("message", message);
  }

  @Test
  void anExceptionIsAStackTraceField() {
    IllegalStateException thrown = new IllegalStateException("boom\non two lines");
    String line =
        encode(event("delivery", Level.ERROR, "main", Map.of(), thrown, "delivery failed"));
    Map<String, Object> f = fields(line);
    assertThat(f.keySet())
        .containsExactly("time", "process", "context", "severity", "message", "stack_trace");
    assertThat((String) f.get("stack_trace"))
        .startsWith("java.lang.IllegalStateException: boom\non two lines\n\tat ")
        .contains("JsonLogEncoderTest.anExceptionIsAStackTraceField")
        .doesNotEndWith("\n");
  }

  @Test
  void aLineWithoutAnExceptionHasNoStackTraceField() {
    assertThat(fields(encode(event("smtpd", Level.INFO, "main", Map.of(), null, "x"))).keySet())
        .containsExactly("time", "process", "context", "severity", "message");
  }
}
