package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.it.LoopbackPostfix.Certificate;
import org.mxtrap.it.LoopbackPostfix.User;

/**
 * {@code delivery.mode: relay} in front of a real Postfix ({@link LoopbackPostfix}): swaks sends to
 * a packaged mxtrap, the primary, which relays over SMTP to Postfix, which saves the message in its
 * Maildir with its Received header above mxtrap's. With {@code delivery.tls: required} the relay
 * uses Postfix's STARTTLS, and without it on offer mxtrap keeps the message queued, deferred for
 * want of TLS, and never sends it in plaintext.
 */
class RelayPostfixIT {
  private static final String BOB = "bob@example.test";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;

  /** The primary's layout, relaying to {@code postfix} with {@code delivery.tls: tls}. */
  private TestLayout primary(LoopbackPostfix postfix, String tls) throws Exception {
    Path home = Files.createDirectories(dir.resolve("primary"));
    return new TestLayout(home)
        .extra(
            "delivery: { mode: relay, tls: %s, relay: { host: 127.0.0.1, port: %d, protocol: smtp } }"
                .formatted(tls, postfix.address().getPort()))
        // One attempt is all a test needs to see: the next comes an hour later.
        .extra("queue: { min_backoff: 1h, max_backoff: 2h }");
  }

  /** Postfix knowing bob, offering STARTTLS with {@code tls} when given. */
  private LoopbackPostfix postfix(@Nullable Certificate tls) throws Exception {
    return LoopbackPostfix.start(dir, tls, new User(BOB));
  }

  /** The test certificate for {@code mail.example.test} that TestsslIT's server uses too. */
  private static Certificate certificate() throws URISyntaxException {
    return new Certificate(resource("rsa-cert.pem"), resource("rsa-key.pem"));
  }

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(RelayPostfixIT.class.getResource("/tls/" + name).toURI());
  }

  /** Sends one message to the primary with swaks; its queue ID from the 250 reply. */
  private static String send(TestLayout primary) throws Exception {
    Swaks.Result sent =
        Swaks.run(
            primary.primary,
            "--to",
            BOB,
            "--from",
            "you@client.test",
            "--header",
            "Subject: to postfix");
    assertThat(sent.exitCode()).as(sent.transcript()).isZero();
    Matcher queued =
        Pattern.compile("250 2\\.0\\.0 Ok: queued as (\\S+)").matcher(sent.transcript());
    assertThat(queued.find()).as(sent.transcript()).isTrue();
    return queued.group(1);
  }

  /** The Received fields of the one message Postfix saved for bob, newest first. */
  private static List<String> receivedByPostfix(LoopbackPostfix postfix) throws Exception {
    List<String> saved = postfix.awaitDelivered(BOB, 1, WAIT);
    assertThat(saved).as(postfix::log).hasSize(1);
    String message = saved.get(0);
    assertThat(message)
        .contains("Return-Path: <you@client.test>\n")
        .contains("Subject: to postfix\n");
    List<String> received = SmtpHarness.receivedHeaders(message);
    assertThat(received).as(message).hasSize(2);
    return received;
  }

  @Test
  void aMessageToThePrimaryLandsInPostfixsMaildirBelowPostfixsReceivedHeader() throws Exception {
    try (LoopbackPostfix postfix = postfix(null)) {
      TestLayout primary = primary(postfix, "opportunistic");
      try (MxtrapProcess p = primary.start()) {
        String id = send(primary);

        List<String> received = receivedByPostfix(postfix);
        assertThat(received.get(0))
            .as("Postfix's, naming the primary as its client; plaintext, nothing was offered")
            .contains("from mail.example.test (unknown [127.0.0.1])")
            .contains("by " + LoopbackPostfix.HOSTNAME + " (Postfix) with ESMTP ")
            .contains("for <" + BOB + ">");
        assertThat(received.get(1))
            .as("the primary's, naming swaks")
            .contains("from client.test (unknown [127.0.0.1])")
            .contains("[127.0.0.1]:" + primary.primary + ", primary, MX 10")
            .contains("id " + id);
      }
    }
  }

  @Test
  void withTlsRequiredTheRelayUsesPostfixsStarttls() throws Exception {
    try (LoopbackPostfix postfix = postfix(certificate())) {
      TestLayout primary = primary(postfix, "required");
      try (MxtrapProcess p = primary.start()) {
        send(primary);

        List<String> received = receivedByPostfix(postfix);
        assertThat(received.get(0))
            .as("ESMTPS: Postfix's name for ESMTP over TLS (RFC 3848)")
            .contains("from mail.example.test (unknown [127.0.0.1])")
            .contains("(Postfix) with ESMTPS ");
      }
    }
  }

  @Test
  void withTlsRequiredAndNoStarttlsOnOfferTheMessageStaysQueued() throws Exception {
    try (LoopbackPostfix postfix = postfix(null)) {
      TestLayout primary = primary(postfix, "required");
      try (MxtrapProcess p = primary.start()) {
        String id = send(primary);

        JsonObject message = awaitAttempted(primary);
        assertThat(message.get("id").getAsString()).isEqualTo(id);
        JsonObject bob = message.getAsJsonArray("recipients").get(0).getAsJsonObject();
        assertThat(bob.get("address").getAsString()).isEqualTo(BOB);
        assertThat(bob.get("status").getAsString()).isEqualTo("deferred");
        assertThat(bob.get("last_error").getAsString())
            .startsWith("4.7.10 ")
            .contains("TLS is required")
            .contains("STARTTLS");
        assertThat(postfix.delivered(BOB)).as("nothing in plaintext").isEmpty();
      }
    }
  }

  /**
   * The one message in the primary's queue ({@code mxtrap queue list --json}) once its recipient
   * has had a delivery attempt, polling for at most {@link #WAIT}.
   */
  private static JsonObject awaitAttempted(TestLayout primary) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      MxtrapProcess.Result list =
          MxtrapProcess.run(
              WAIT,
              "queue",
              "list",
              "--json",
              "--config",
              primary.dir.resolve("mxtrap.yml").toString());
      assertThat(list.exitCode()).as(list.output()).isZero();
      JsonArray messages = JsonParser.parseString(list.output()).getAsJsonArray();
      assertThat(messages).as("the message stays queued").hasSize(1);
      JsonObject message = messages.get(0).getAsJsonObject();
      JsonObject first = message.getAsJsonArray("recipients").get(0).getAsJsonObject();
      if (first.get("attempts").getAsInt() >= 1) {
        return message;
      }
      assertThat(System.nanoTime()).as("a delivery attempt within " + WAIT).isLessThan(deadline);
    }
  }
}
