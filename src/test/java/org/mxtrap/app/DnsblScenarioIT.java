package org.mxtrap.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.config.ConfigLoader;
import org.mxtrap.it.LoopbackUnbound;
import org.mxtrap.it.RawSmtp;
import org.mxtrap.it.SmtpHarness;
import org.mxtrap.observe.Events;
import org.mxtrap.testing.FakeClock;
import org.mxtrap.testing.FreePorts;

/**
 * DNSBL and reverse names end to end: the server in-process, its DNS from a real unbound on a free
 * loopback port that serves a blocklist ({@code bl.test}), a zone whose servers never answer
 * ({@code dead.test}, a stub zone pointing at a bound UDP socket that never replies), and PTR and A
 * records for some clients. Each client is a distinct loopback source address, and the DNSBL lists
 * clients by those addresses. unbound is stopped by its PID after the class.
 */
class DnsblScenarioIT {
  static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");

  @TempDir static Path shared;
  static LoopbackUnbound unbound;
  static DatagramSocket silent;

  @TempDir Path dir;
  final FakeClock clock = new FakeClock(T0);
  final int primary = FreePorts.next();
  MxtrapApp app;

  @BeforeAll
  static void startUnbound() throws Exception {
    silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    unbound =
        LoopbackUnbound.start(
            shared,
            """
              do-not-query-localhost: no
              local-zone: "bl.test." static
              local-data: "50.0.0.127.bl.test. 300 IN A 127.0.0.2"
              local-data: "52.0.0.127.bl.test. 300 IN A 127.255.255.254"
              local-data: "54.0.0.127.bl.test. 300 IN A 127.0.0.10"
              local-zone: "clients.test." static
              local-data: "good.clients.test. 300 IN A 127.0.0.60"
              local-data: "liar.clients.test. 300 IN A 127.0.0.99"
              local-zone: "127.in-addr.arpa." static
              local-data-ptr: "127.0.0.60 good.clients.test"
              local-data-ptr: "127.0.0.61 liar.clients.test"
              local-zone: "dead.test." transparent
            """,
            """
            stub-zone:
              name: "dead.test."
              stub-addr: 127.0.0.1@%d
            """
                .formatted(silent.getLocalPort()));
  }

  @AfterAll
  static void stopUnbound() throws Exception {
    if (unbound != null) {
      unbound.close();
    }
    if (silent != null) {
      silent.close();
    }
  }

  void start(String dnsbl) throws Exception {
    Path file = dir.resolve("mxtrap.yml");
    Files.writeString(
        file,
        """
        hostname: mail.example.test
        domains: [example.test]
        data_dir: data
        layout:
          - { preference: 10, host: mail.example.test, address: 127.0.0.1, port: %d, role: primary }
        listen: ["127.0.0.1:%d"]
        admin: { bind: "127.0.0.1:%d" }
        dns: { resolver: "%s", timeout: 500ms, retries: 0, ptr_budget: 2s }
        """
                .formatted(primary, primary, FreePorts.next(), unbound.address())
            + dnsbl);
    app = MxtrapApp.start(ConfigLoader.load(file), clock, Events.NONE);
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
    }
  }

  static InetAddress from(int last) throws IOException {
    return InetAddress.getByName("127.0.0." + last);
  }

  /** The greeting 127.0.0.{@code client} gets; then QUIT, and the server's close awaited. */
  String greeting(int client) throws IOException {
    try (RawSmtp c = new RawSmtp(InetAddress.getLoopbackAddress(), primary, from(client))) {
      String g = c.reply();
      if (g != null && g.startsWith("220")) {
        c.command("QUIT");
      } else if (g != null && g.startsWith("554")) {
        assertThat(c.command("QUIT")).startsWith("221");
      }
      assertThat(c.closedByServer()).isTrue();
      return g;
    }
  }

  /** The decision-log lines about 127.0.0.{@code client}. */
  List<String> decisionsAbout(int client) throws IOException {
    return Files.readAllLines(dir.resolve("data/log/decisions.jsonl")).stream()
        .filter(l -> l.contains("\"client\":\"127.0.0." + client + "\""))
        .toList();
  }

  @Test
  void aListedClientIsRefusedWithTheSuppressActionAndAnUnlistedOneIsServed() throws Exception {
    start("dnsbl: { zones: [bl.test], timeout: 2s }\nsuppress: { action: reject }\n");
    assertThat(greeting(50)).startsWith("554 5.7.1 mail.example.test ");
    assertThat(decisionsAbout(50))
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .contains("\"verdict\":\"dnsbl\"", "\"action\":\"reject\"")
                    .contains("bl.test listed (127.0.0.2) +1")
                    .doesNotContain("\"until\""));
    assertThat(app.policy().suppressions().find(from(50), clock.instant()))
        .as("a listing is the list's judgement, not a suppression")
        .isEmpty();

    assertThat(greeting(51)).startsWith("220 ");
    assertThat(decisionsAbout(51))
        .singleElement()
        .satisfies(l -> assertThat(l).contains("\"verdict\":\"accept\"", "\"reason\":\"primary\""));
  }

  @Test
  void aRefusalCodeIsUnknownNeverAListingAndACodeOutsideTheZonesCodesIsNotListed()
      throws Exception {
    start("dnsbl: { zones: [{ zone: bl.test, codes: [127.0.0.2/31] }] }\n");
    assertThat(greeting(52)).as("127.255.255.254: the list refused us").startsWith("220 ");
    assertThat(decisionsAbout(52))
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .contains("\"verdict\":\"accept\"")
                    .contains("bl.test unknown (the list refused the query: 127.255.255.254")
                    .contains("(fails open)"));
    assertThat(greeting(54)).as("127.0.0.10 is not among the zone's codes").startsWith("220 ");
    assertThat(decisionsAbout(54))
        .singleElement()
        .satisfies(l -> assertThat(l).contains("\"reason\":\"primary\""));
  }

  @Test
  void aZoneWhoseServersNeverAnswerIsUnknownAndFailsOpen() throws Exception {
    start("dnsbl: { zones: [bl.test, dead.test], timeout: 1s }\n");
    assertThat(greeting(53)).startsWith("220 ");
    assertThat(decisionsAbout(53))
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .contains("\"verdict\":\"accept\"")
                    .contains("dead.test unknown (")
                    .contains("(fails open)")
                    .doesNotContain("dead.test not listed"));
    assertThat(greeting(50)).as("the other zone still counts").startsWith("421 4.7.1 ");
  }

  @Test
  void aZoneWhoseServersNeverAnswerFailsClosedWithATempfailNeverAReject() throws Exception {
    start(
        "dnsbl: { zones: [bl.test, { zone: dead.test, on_unknown: closed }], timeout: 1s }\n"
            + "suppress: { action: reject }\n");
    assertThat(greeting(53)).startsWith("421 4.7.1 mail.example.test ");
    assertThat(decisionsAbout(53))
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .contains("\"verdict\":\"dnsbl\"", "\"action\":\"tempfail\"")
                    .contains("dead.test unknown (")
                    .contains("+1 (fails closed)")
                    .contains("tempfail until the unknown zones answer"));
  }

  @Test
  void aVerifiedReverseNameIsInTheReceivedHeaderAndTheDecisionLog() throws Exception {
    start("");
    send(60, "bob");
    send(61, "carol");
    Path mail = dir.resolve("data/mail/example.test");
    String bob = SmtpHarness.read(awaitOne(mail.resolve("bob/new")));
    assertThat(bob).contains("Received: from client.test (good.clients.test [127.0.0.60])");
    String carol = SmtpHarness.read(awaitOne(mail.resolve("carol/new")));
    assertThat(carol)
        .as("liar.clients.test points elsewhere: not verified, not used")
        .contains("Received: from client.test (unknown [127.0.0.61])");
    assertThat(decisionsAbout(60))
        .singleElement()
        .satisfies(
            l -> assertThat(l).contains("\"client\":\"127.0.0.60\",\"ptr\":\"good.clients.test\""));
    assertThat(decisionsAbout(61))
        .singleElement()
        .satisfies(l -> assertThat(l).doesNotContain("\"ptr\""));
  }

  void send(int client, String to) throws IOException {
    try (RawSmtp c = new RawSmtp(InetAddress.getLoopbackAddress(), primary, from(client))) {
      assertThat(c.reply()).startsWith("220 ");
      assertThat(c.command("EHLO client.test")).startsWith("250");
      assertThat(c.command("MAIL FROM:<s@client.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<" + to + "@example.test>")).startsWith("250");
      assertThat(c.command("DATA")).startsWith("354");
      assertThat(c.command("Subject: hi\r\n\r\nhello\r\n.")).startsWith("250 2.0.0 Ok: queued");
      assertThat(c.command("QUIT")).startsWith("221");
    }
  }

  static Path awaitOne(Path inbox) throws Exception {
    return SmtpHarness.awaitMessages(inbox, 1, Duration.ofSeconds(20)).get(0);
  }
}
