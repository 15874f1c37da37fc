package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code delivery.mode: relay} end to end with real programs: swaks sends to a packaged mxtrap in
 * relay mode (the primary in front of a mail store), which queues the message before its 250 and
 * relays it over SMTP to a second packaged mxtrap in the default Maildir mode (the store). The
 * message lands in the store's Maildir with both hops' Received headers, the primary's below the
 * store's. And over LMTP to a real Dovecot ({@link LoopbackDovecot}), the store the example file
 * puts behind a primary.
 */
class RelayIT {
  @TempDir Path dir;

  @Test
  void aMessageToThePrimaryLandsInTheStoreWithBothReceivedHeaders() throws Exception {
    Files.createDirectories(dir.resolve("store"));
    Files.createDirectories(dir.resolve("primary"));
    TestLayout store = new TestLayout(dir.resolve("store"));
    TestLayout primary =
        new TestLayout(dir.resolve("primary"))
            .extra(
                "delivery: { mode: relay, relay: { host: 127.0.0.1, port: %d, protocol: smtp } }"
                    .formatted(store.primary));
    try (MxtrapProcess s = store.start();
        MxtrapProcess p = primary.start()) {
      Swaks.Result sent =
          Swaks.run(primary.primary, "--to", "bob@example.test", "--from", "you@client.test");
      assertThat(sent.exitCode()).as(sent.transcript()).isZero();
      Matcher queued =
          Pattern.compile("250 2\\.0\\.0 Ok: queued as (\\S+)").matcher(sent.transcript());
      assertThat(queued.find()).as(sent.transcript()).isTrue();

      List<Path> landed = SmtpHarness.awaitMessages(store.inbox("bob"), 1, Duration.ofSeconds(30));

      assertThat(landed).hasSize(1);
      String message = SmtpHarness.read(landed.get(0));
      List<String> received = SmtpHarness.receivedHeaders(message);
      assertThat(received).hasSize(2);
      assertThat(received.get(0))
          .as("the store's, naming the primary as its client")
          .contains("from mail.example.test (unknown [127.0.0.1])")
          .contains("[127.0.0.1]:" + store.primary + ", primary, MX 10");
      assertThat(received.get(1))
          .as("the primary's, naming swaks")
          .contains("from client.test (unknown [127.0.0.1])")
          .contains("[127.0.0.1]:" + primary.primary + ", primary, MX 10")
          .contains("id " + queued.group(1))
          .contains("for <bob@example.test>");
      assertThat(message).startsWith("Return-Path: <you@client.test>\n");
      assertThat(primary.inbox("bob").getParent()).as("no Maildir in relay mode").doesNotExist();
    }
  }

  @Test
  void overLmtpTheMessageLandsInDovecotsMailboxes() throws Exception {
    Files.createDirectories(dir.resolve("primary"));
    try (LoopbackDovecot dovecot =
        LoopbackDovecot.start(
            dir,
            LoopbackDovecot.User.of("bob@example.test"),
            LoopbackDovecot.User.of("carol@example.test"))) {
      TestLayout primary =
          new TestLayout(dir.resolve("primary"))
              .extra(
                  "delivery: { mode: relay, relay: { host: 127.0.0.1, port: %d, protocol: lmtp } }"
                      .formatted(dovecot.address().getPort()));
      try (MxtrapProcess p = primary.start()) {
        Swaks.Result sent =
            Swaks.run(
                primary.primary,
                "--to",
                "bob@example.test,carol@example.test",
                "--from",
                "you@client.test",
                "--header",
                "Subject: to the store");
        assertThat(sent.exitCode()).as(sent.transcript()).isZero();

        for (String rcpt : List.of("bob@example.test", "carol@example.test")) {
          List<String> saved = dovecot.awaitDelivered(rcpt, 1, Duration.ofSeconds(30));
          assertThat(saved).as(dovecot.log()).hasSize(1);
          assertThat(saved.get(0))
              .contains("Subject: to the store")
              .contains("with LMTP")
              .contains("[127.0.0.1]:" + primary.primary + ", primary, MX 10");
        }
      }
    }
  }
}
