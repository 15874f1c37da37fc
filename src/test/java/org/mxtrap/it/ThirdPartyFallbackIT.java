package org.mxtrap.it;

import static org.assertj.core.api.Assertions.as;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A third-party fallback MX in front of an mxtrap primary, with real programs: swaks sends to a
 * private Postfix ({@link LoopbackPostfix#relaying}), the fallback MX for example.test, whose smtp
 * client forwards the message to a packaged mxtrap, the primary, without XCLIENT. The primary
 * trusts 127.0.0.1 ({@code trusted_relays}): on loopback, Postfix's connections to 127.0.0.1 come
 * from 127.0.0.1 (the kernel's source address for a loopback destination; no {@code
 * smtp_bind_address}), which the {@code relay} field of the decision log and the primary's own
 * Received field confirm. So the primary reads the client from Postfix's Received field at the top
 * of the message, judges it, logs the decision with the relay, and never refuses the mail; a
 * blocked client's message lands marked with {@code X-Mxtrap-Suspect}.
 *
 * <p>One Postfix and one primary serve both tests; each test sends to its own mailbox.
 */
class ThirdPartyFallbackIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String RELAY = "127.0.0.1";

  @TempDir static Path dir;
  private static TestLayout primary;
  private static MxtrapProcess server;
  private static LoopbackPostfix fallback;

  @BeforeAll
  static void start() throws Exception {
    primary =
        new TestLayout(Files.createDirectories(dir.resolve("primary")))
            .extra("trusted_relays: [\"" + RELAY + "\"]")
            .extra("block: [\"127.0.0.66\"]");
    server = primary.start();
    fallback =
        LoopbackPostfix.relaying(
            dir, "example.test", new InetSocketAddress(RELAY, primary.primary));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (fallback != null) {
        fallback.close();
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  @Test
  void aClientThePrimaryServesArrivesUnmarkedAndIsLoggedAsTheRelaysClient() throws Exception {
    String message = sendThroughTheFallback("127.0.0.55", "alice");

    assertThat(message).doesNotContain("X-Mxtrap-Suspect");
    List<String> received = SmtpHarness.receivedHeaders(message);
    assertThat(received).as(message).hasSize(2);
    assertThat(received.get(0))
        .as("the primary's, naming Postfix as its client")
        .contains("from " + LoopbackPostfix.HOSTNAME + " (unknown [" + RELAY + "])")
        .contains("[127.0.0.1]:" + primary.primary + ", primary, MX 10");
    assertThat(received.get(1))
        .as("Postfix's, naming swaks's address")
        .contains("from client.test (unknown [127.0.0.55])")
        .contains("by " + LoopbackPostfix.HOSTNAME + " (Postfix) with ESMTP ");
    JsonObject decision = decisionAbout("127.0.0.55");
    assertThat(decision.get("relay").getAsString()).isEqualTo(RELAY);
    assertThat(decision.get("verdict").getAsString()).isEqualTo("accept");
  }

  @Test
  void aBlockedClientsMessageIsNeverRefusedButLandsMarked() throws Exception {
    String message = sendThroughTheFallback("127.0.0.66", "bob");

    JsonObject decision = decisionAbout("127.0.0.66");
    assertThat(decision.get("relay").getAsString()).isEqualTo(RELAY);
    assertThat(decision.get("verdict").getAsString()).isEqualTo("blocked");
    String mark =
        "X-Mxtrap-Suspect: blocked (client [127.0.0.66] via [127.0.0.1], would have been answered "
            + decision.get("action").getAsString()
            + ")\n";
    assertThat(message).contains(mark);
    String above = message.substring(0, message.indexOf(mark));
    assertThat(SmtpHarness.receivedHeaders(above))
        .as(
            "the mark is the first field of what the relay sent: only the primary's own trace above")
        .singleElement(as(InstanceOfAssertFactories.STRING))
        .contains("from " + LoopbackPostfix.HOSTNAME + " (unknown [" + RELAY + "])")
        .contains("by mail.example.test ");
    assertThat(message.substring(above.length() + mark.length()))
        .as("Postfix's Received field right below the mark")
        .startsWith("Received: from client.test (unknown [127.0.0.66])");
  }

  /**
   * Sends one message with swaks from the loopback address {@code client} to Postfix, for {@code
   * localPart@example.test}; the message as it lands in the primary's Maildir (LF line ends).
   */
  private static String sendThroughTheFallback(String client, String localPart) throws Exception {
    Swaks.Result sent =
        Swaks.run(
            fallback.address().getAddress().getHostAddress(),
            fallback.address().getPort(),
            "--local-interface",
            client,
            "--to",
            localPart + "@example.test",
            "--from",
            "you@client.test");
    assertThat(sent.exitCode()).as("Postfix accepts it: " + sent.transcript()).isZero();
    List<Path> landed = SmtpHarness.awaitMessages(primary.inbox(localPart), 1, WAIT);
    assertThat(landed)
        .as(() -> fallback.log() + readQuietly(primary.dir.resolve("mxtrap.log")))
        .hasSize(1);
    return SmtpHarness.read(landed.get(0));
  }

  /**
   * The one line of the primary's decision log about {@code client}. The primary writes it while it
   * reads the message, before its 250 to Postfix, so it is there once the message landed.
   */
  private static JsonObject decisionAbout(String client) throws Exception {
    List<JsonObject> about =
        Files.readAllLines(primary.dataDir.resolve("log").resolve("decisions.jsonl")).stream()
            .map(line -> JsonParser.parseString(line).getAsJsonObject())
            .filter(d -> d.get("client").getAsString().equals(client))
            .toList();
    assertThat(about).hasSize(1);
    return about.get(0);
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return e.toString();
    }
  }
}
