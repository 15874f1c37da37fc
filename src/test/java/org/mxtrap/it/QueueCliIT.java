package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code mxtrap queue} against the packaged server: a message with a recipient whose Maildir cannot
 * be written (its directory is a file) stays queued, deferred; the CLI lists, shows, flushes and
 * deletes it. The backoff is an hour, so only the flush makes the runner try it again.
 */
class QueueCliIT extends ServerPerClass {
  static final Duration CLI = Duration.ofSeconds(60);
  static final Duration WAIT = Duration.ofSeconds(30);

  @Override
  TestLayout layout(Path dir) throws Exception {
    return new TestLayout(dir).extra("queue: { min_backoff: 1h, max_backoff: 2h }");
  }

  MxtrapProcess.Result mxtrap(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--config");
    all.add(layout.dir.resolve("mxtrap.yml").toString());
    return MxtrapProcess.run(CLI, all.toArray(String[]::new));
  }

  JsonArray list() throws Exception {
    MxtrapProcess.Result r = mxtrap("queue", "list", "--json");
    assertThat(r.exitCode()).as(r.output()).isZero();
    return JsonParser.parseString(r.output()).getAsJsonArray();
  }

  /** The queued message's recipient {@code blocked@}, once it has had {@code attempts}. */
  JsonObject blockedAfter(int attempts) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      JsonArray messages = list();
      assertThat(messages).hasSize(1);
      JsonObject blocked =
          messages.get(0).getAsJsonObject().getAsJsonArray("recipients").get(0).getAsJsonObject();
      if (blocked.get("attempts").getAsInt() >= attempts) {
        return blocked;
      }
      assertThat(System.nanoTime()).as("attempt " + attempts + " made").isLessThan(deadline);
      Thread.sleep(50); // polls a condition; orders nothing
    }
  }

  @Test
  void aDeferredMessageIsListedShownFlushedAndDeleted() throws Exception {
    Path blockedMaildir = layout.dataDir.resolve("mail/example.test/blocked");
    Files.createDirectories(blockedMaildir.getParent());
    Files.writeString(blockedMaildir, "not a Maildir");

    String id;
    try (RawSmtp c = new RawSmtp(layout.primary)) {
      assertThat(c.reply()).startsWith("220 ");
      assertThat(c.command("EHLO client.test")).startsWith("250");
      assertThat(c.command("MAIL FROM:<sender@client.test>")).startsWith("250 ");
      assertThat(c.command("RCPT TO:<blocked@example.test>")).startsWith("250 ");
      assertThat(c.command("RCPT TO:<bob@example.test>")).startsWith("250 ");
      assertThat(c.command("DATA")).startsWith("354 ");
      String queued = c.command("Subject: queued\r\n\r\nHello.\r\n.");
      assertThat(queued).startsWith("250 2.0.0 Ok: queued as ");
      id = queued.substring("250 2.0.0 Ok: queued as ".length()).strip();
      c.command("QUIT");
    }
    assertThat(layout.inbox("bob")).isNotEmptyDirectory();

    // Delivered in the session, bob is not queued; blocked is, and the runner tries it at once.
    JsonObject blocked = blockedAfter(1);
    JsonObject message = list().get(0).getAsJsonObject();
    assertThat(message.get("id").getAsString()).isEqualTo(id);
    assertThat(message.get("sender").getAsString()).isEqualTo("sender@client.test");
    assertThat(message.get("size").getAsLong())
        .isEqualTo("Subject: queued\r\n\r\nHello.\r\n".length());
    Instant arrived = Instant.parse(message.get("arrived").getAsString());
    assertThat(message.getAsJsonArray("recipients")).hasSize(1);
    assertThat(blocked.get("address").getAsString()).isEqualTo("blocked@example.test");
    assertThat(blocked.get("status").getAsString()).isEqualTo("deferred");
    assertThat(Instant.parse(blocked.get("next_attempt").getAsString()))
        .isAfter(arrived.plus(Duration.ofMinutes(59)));
    assertThat(blocked.get("last_error").getAsString()).startsWith("4.3.0 cannot write maildir");

    MxtrapProcess.Result text = mxtrap("queue", "list");
    assertThat(text.exitCode()).as(text.output()).isZero();
    assertThat(text.output())
        .contains(id + "  ")
        .contains("from <sender@client.test> (127.0.0.1)")
        .contains("  <blocked@example.test>: deferred, 1 attempt, next ")
        .contains("1 message, ");

    MxtrapProcess.Result show = mxtrap("queue", "show", id, "--json");
    assertThat(show.exitCode()).as(show.output()).isZero();
    assertThat(JsonParser.parseString(show.output()).getAsJsonObject().get("id").getAsString())
        .isEqualTo(id);

    MxtrapProcess.Result flush = mxtrap("queue", "flush");
    assertThat(flush.exitCode()).as(flush.output()).isZero();
    assertThat(flush.output()).isEqualTo("flushed the queue: 1 message due now\n");
    assertThat(blockedAfter(2).get("status").getAsString()).isEqualTo("deferred");

    MxtrapProcess.Result delete = mxtrap("queue", "delete", id);
    assertThat(delete.exitCode()).as(delete.output()).isZero();
    assertThat(delete.output()).isEqualTo("deleted " + id + " from the queue\n");
    assertThat(list()).isEmpty();
    assertThat(mxtrap("queue", "list").output()).isEqualTo("the queue is empty\n");

    MxtrapProcess.Result again = mxtrap("queue", "delete", id);
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.output()).contains("mxtrap answered 404: no message " + id + " in the queue");
  }

  @Test
  void aMalformedIdIsAUsageError() throws Exception {
    MxtrapProcess.Result r = mxtrap("queue", "show", "not-an-id");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.output()).contains("not a queue ID: not-an-id");
    assertThat(mxtrap("queue").exitCode()).isEqualTo(2);
  }
}
