package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.observe.Json;

/**
 * {@code log.format: json}: from the start to the graceful stop, every line the packaged server
 * writes is one JSON object with the fields of the text line, and the lines of a session carry its
 * ID, as a log shipper needs them.
 */
class JsonLogIT {
  @TempDir Path dir;

  @Test
  void everyLineFromStartToStopIsOneJsonObject() throws Exception {
    TestLayout layout = new TestLayout(dir).extra("log: { format: json }");
    List<String> lines;
    try (MxtrapProcess server = layout.start()) {
      try (RawSmtp c = new RawSmtp(layout.primary)) {
        assertThat(c.reply()).startsWith("220");
        assertThat(c.command("EHLO client.test")).startsWith("250");
        assertThat(c.command("MAIL FROM:<a@client.test>")).startsWith("250");
        assertThat(c.command("RCPT TO:<bob@example.test>")).startsWith("250");
        assertThat(c.command("DATA")).startsWith("354");
        assertThat(c.command("Subject: json\r\n\r\n\"quoted\"\r\n.")).startsWith("250");
        assertThat(c.command("QUIT")).startsWith("221");
      }
      assertThat(SmtpHarness.awaitMessages(layout.inbox("bob"), 1, Duration.ofSeconds(20)))
          .hasSize(1);
      assertThat(server.stop()).isZero();
      lines = server.log().lines().toList();
    }

    assertThat(lines).isNotEmpty();
    List<Map<String, Object>> parsed = lines.stream().map(JsonLogIT::fields).toList();
    for (Map<String, Object> f : parsed) {
      assertThat(f.keySet())
          .as("%s", f)
          .containsExactly("time", "process", "context", "severity", "message");
      assertThat((String) f.get("time"))
          .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
      assertThat((String) f.get("process")).startsWith("mxtrap/");
      assertThat(f.get("severity")).as("%s", f).isIn("info", "warning");
    }
    assertThat(parsed)
        .as("the configuration and the start-up summary, each one line")
        .anySatisfy(
            f ->
                assertThat((String) f.get("message"))
                    .startsWith("effective configuration:\nconfig: "))
        .anySatisfy(f -> assertThat((String) f.get("message")).startsWith("mxtrap: config "));
    Map<String, Object> connect =
        parsed.stream()
            .filter(f -> ((String) f.get("message")).startsWith("connect from "))
            .findFirst()
            .orElseThrow();
    assertThat(connect).containsEntry("process", "mxtrap/smtpd");
    assertThat((String) connect.get("context")).as("the session ID").matches("[0-9A-F]{8}");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> fields(String line) {
    return Json.read(line, Map.class);
  }
}
