package org.mxtrap.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.config.ConfigLoader;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Verdict;
import org.mxtrap.it.RawSmtp;
import org.mxtrap.it.SmtpHarness;
import org.mxtrap.observe.Event;
import org.mxtrap.testing.FakeClock;
import org.mxtrap.testing.FreePorts;
import org.mxtrap.testing.RecordingEvents;

/**
 * The trap engine end to end over real sockets, in-process, with the demo layout (primary MX 10,
 * traps MX 30 and 40, all served here) and a clock the test moves: PRODUCT.md's "Decisions" as a
 * sender sees them. Each client is a loopback source address in a /24 of its own ({@link #from}):
 * contacts excuse by {@code trap.excuse_prefix_v4}, a /24.
 */
class TrapScenarioIT {
  static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
  static final Duration ARM_AFTER = Duration.ofHours(1);

  @TempDir Path dir;
  final FakeClock clock = new FakeClock(T0);
  final int primary = FreePorts.next();
  final int trap30 = FreePorts.next();
  final int trap40 = FreePorts.next();
  final int admin = FreePorts.next();
  final RecordingEvents events = new RecordingEvents();
  MxtrapConfig loaded;
  MxtrapApp app;

  MxtrapConfig config(String extra) throws Exception {
    Path file = dir.resolve("mxtrap.yml");
    Files.writeString(
        file,
        """
        hostname: mail.example.test
        domains: [example.test]
        data_dir: data
        layout:
          - { preference: 10, host: mail.example.test, address: 127.0.0.1, port: %d, role: primary }
          - { preference: 30, host: mx2.example.test, address: 127.0.0.1, port: %d, role: trap }
          - { preference: 40, host: mx3.example.test, address: 127.0.0.1, port: %d, role: trap }
        listen: ["127.0.0.1:%d", "127.0.0.1:%d", "127.0.0.1:%d"]
        admin: { bind: "127.0.0.1:%d" }
        """
                .formatted(primary, trap30, trap40, primary, trap30, trap40, admin)
            + (extra.contains("trap:") ? "" : "trap: { arm_after: 1h }\n")
            // No reverse names: a test server never asks the machine's resolver.
            + (extra.contains("dns:") ? "" : "dns: { ptr_budget: 0s }\n")
            + extra);
    return ConfigLoader.load(file);
  }

  void start(String extra) throws Exception {
    loaded = config(extra);
    app = MxtrapApp.start(loaded, clock, events);
  }

  void startArmed(String extra) throws Exception {
    start(extra);
    clock.advance(ARM_AFTER.plusSeconds(1));
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
    }
  }

  /** Client {@code n}: 127.0.{@code n}.1, alone in its /24. */
  static InetAddress from(int n) throws IOException {
    return InetAddress.getByName("127.0." + n + ".1");
  }

  /**
   * The greeting client {@code client} ({@link #from}) gets on {@code port}; then QUIT, and the
   * server's close awaited, so its connection permit is free again when this returns.
   */
  String greeting(int client, int port) throws IOException {
    try (RawSmtp c = new RawSmtp(InetAddress.getLoopbackAddress(), port, from(client))) {
      String g = c.reply();
      if (g != null && g.startsWith("220")) {
        c.command("QUIT");
      }
      assertThat(c.closedByServer()).isTrue();
      return g;
    }
  }

  List<String> decisions() throws IOException {
    return Files.readAllLines(dir.resolve("data/log/decisions.jsonl"));
  }

  @Test
  void aFreshInstallIsDisarmedUntilArmAfterHasPassed() throws Exception {
    start("");
    assertThat(greeting(21, trap40))
        .as("a trap answers with its own name, never the primary's")
        .startsWith("421 4.7.0 mx3.example.test ");
    assertThat(greeting(21, primary)).as("not suppressed").startsWith("220 ");
    assertThat(decisions()).anyMatch(l -> l.contains("\"verdict\":\"disarmed\""));

    clock.advance(ARM_AFTER.plusSeconds(1));
    assertThat(greeting(22, trap40)).startsWith("421 4.7.0 ");
    assertThat(greeting(22, primary)).as("suppressed").startsWith("421 4.7.1 ");
  }

  @Test
  void withDecideAtMailATrapGreetsReadsTheSenderThenRefusesAndSuppresses() throws Exception {
    startArmed("trap: { arm_after: 1h, decide_at: mail }\n");
    try (RawSmtp bot = new RawSmtp(InetAddress.getLoopbackAddress(), trap30, from(41))) {
      assertThat(bot.reply()).startsWith("220 mx2.example.test ");
      assertThat(bot.command("EHLO bot.invalid")).startsWith("250");
      assertThat(bot.command("MAIL FROM:<x@spam.test>")).startsWith("421 4.7.0 mx2.example.test ");
      assertThat(bot.closedByServer()).isTrue();
    }
    assertThat(greeting(41, primary)).as("suppressed everywhere").startsWith("421 4.7.1 ");
    assertThat(decisions())
        .filteredOn(
            l -> l.contains("\"client\":\"127.0.41.1\"") && l.contains("\"verdict\":\"mx-skip\""))
        .singleElement()
        .asString()
        .contains("HELO bot.invalid, MAIL FROM <x@spam.test>");
  }

  @Test
  void aWalkerThatFoundThePrimaryFullIsServedOnTheTrapAndItsMailDelivered() throws Exception {
    startArmed("limits: { max_connections: 1 }\n");
    try (RawSmtp holder = new RawSmtp(InetAddress.getLoopbackAddress(), primary, from(30))) {
      assertThat(holder.reply()).startsWith("220 ");
      assertThat(greeting(31, primary)).startsWith("421 4.7.0 ");
      // The walk goes on to MX 30, as Postfix, Exim and OpenSMTPD do after a 421 greeting.
      try (RawSmtp walker = new RawSmtp(InetAddress.getLoopbackAddress(), trap30, from(31))) {
        assertThat(walker.reply()).startsWith("220 mx2.example.test ");
        assertThat(walker.command("EHLO walker.test")).startsWith("250");
        assertThat(walker.command("MAIL FROM:<s@walker.test>")).startsWith("250");
        assertThat(walker.command("RCPT TO:<erin@example.test>")).startsWith("250");
        assertThat(walker.command("DATA")).startsWith("354");
        assertThat(walker.command("Subject: walked\r\n\r\nhello\r\n."))
            .startsWith("250 2.0.0 Ok: queued as ");
        assertThat(walker.command("QUIT")).startsWith("221");
      }
    }
    awaitPrimaryServing(32);
    Path inbox = dir.resolve("data/mail/example.test/erin/new");
    assertThat(SmtpHarness.awaitMessages(inbox, 1, Duration.ofSeconds(20))).hasSize(1);
    assertThat(greeting(31, primary)).as("never suppressed").startsWith("220 ");
    assertThat(decisions())
        .anyMatch(
            l -> l.contains("\"client\":\"127.0.31.1\"") && l.contains("\"verdict\":\"fallback\""));

    // The same story as events, told where each thing happened.
    LayoutEntry mx10 = loaded.layout().entries().get(0);
    LayoutEntry mx30 = loaded.layout().entries().get(1);
    InetAddress walker = from(31);
    assertThat(events.of(Event.Refused.class))
        .contains(new Event.Refused(walker, mx10, Event.Refusal.CONNECTION_LIMIT));
    assertThat(events.of(Event.Connected.class)).contains(new Event.Connected(walker, mx30));
    assertThat(events.of(Event.Decided.class))
        .filteredOn(d -> d.contact().client().equals(walker))
        .extracting(d -> d.decision().verdict())
        .startsWith(Verdict.ACCEPT, Verdict.FALLBACK);
    Event.MessageAccepted accepted = events.of(Event.MessageAccepted.class).get(0);
    assertThat(accepted.recipients()).isEqualTo(1);
    assertThat(events.of(Event.Delivery.class))
        .contains(new Event.Delivery(accepted.queueId(), Event.Outcome.SENT, "maildir"));
  }

  @Test
  void anEximLikeSenderThatGoesStraightToMx30ForHoursIsNeverSuppressed() throws Exception {
    startArmed("limits: { max_connections: 1 }\n");
    try (RawSmtp holder = new RawSmtp(InetAddress.getLoopbackAddress(), primary, from(30))) {
      assertThat(holder.reply()).startsWith("220 ");
      assertThat(greeting(40, primary)).startsWith("421 4.7.0 ");
      assertThat(greeting(40, trap30)).startsWith("220 ");
    }
    awaitPrimaryServing(41);
    // Exim remembers the failure and, for up to 6 hours, sends later messages straight to MX 30.
    for (int hour = 1; hour <= 6; hour++) {
      clock.advance(Duration.ofHours(1));
      assertThat(greeting(40, trap30)).as("hour " + hour).startsWith("220 ");
    }
    assertThat(greeting(40, primary)).startsWith("220 ");
    assertThat(decisions())
        .noneMatch(l -> l.contains("\"client\":\"127.0.40.1\"") && l.contains("\"until\""));
  }

  @Test
  void aSenderStraightToATrapWhileArmedIsSuppressedOnEveryListener() throws Exception {
    startArmed("");
    assertThat(greeting(50, trap40)).startsWith("421 4.7.0 ");
    assertThat(greeting(50, primary)).startsWith("421 4.7.1 ");
    assertThat(greeting(50, trap30)).startsWith("421 4.7.1 ");
    assertThat(greeting(51, primary)).as("others are not affected").startsWith("220 ");
    assertThat(decisions())
        .anyMatch(
            l ->
                l.contains("\"client\":\"127.0.50.1\"")
                    && l.contains("\"verdict\":\"mx-skip\"")
                    && l.contains("\"until\":\"" + clock.instant().plus(Duration.ofHours(24)))
                    && l.contains("\"preference\":40")
                    && l.contains("\"role\":\"trap\""));
  }

  @Test
  void aSenderWhileThePrimaryWasFullWithinArmAfterIsOnlyTempfailed() throws Exception {
    startArmed("limits: { max_connections: 1 }\n");
    try (RawSmtp holder = new RawSmtp(InetAddress.getLoopbackAddress(), primary, from(30))) {
      assertThat(holder.reply()).startsWith("220 ");
      assertThat(greeting(61, primary)).startsWith("421 4.7.0 ");
    }
    awaitPrimaryServing(62);
    clock.advance(Duration.ofMinutes(30));
    assertThat(greeting(60, trap40)).startsWith("421 4.7.0 ");
    assertThat(greeting(60, primary)).as("disarmed: no suppression").startsWith("220 ");
    assertThat(decisions())
        .anyMatch(
            l -> l.contains("\"client\":\"127.0.60.1\"") && l.contains("\"verdict\":\"disarmed\""));

    clock.advance(ARM_AFTER);
    assertThat(greeting(63, trap40)).startsWith("421 4.7.0 ");
    assertThat(greeting(63, primary)).as("armed again after arm_after").startsWith("421 4.7.1 ");
  }

  /** The holder's disconnect frees the primary on the server's thread: wait until it has. */
  void awaitPrimaryServing(int client) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!greeting(client, primary).startsWith("220 ")) {
      assertThat(System.nanoTime()).as("primary serving again").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  @Test
  void anAllowListedSenderIsNeverSuppressed() throws Exception {
    startArmed("allow: [127.0.70.0/23]\n");
    assertThat(greeting(70, trap40)).startsWith("220 ");
    assertThat(greeting(71, trap30)).startsWith("220 ");
    assertThat(greeting(70, primary)).startsWith("220 ");
    assertThat(decisions()).anyMatch(l -> l.contains("\"verdict\":\"allowed\""));
  }

  @Test
  void aBlockedSenderIsRefusedEverywhere() throws Exception {
    start("block: [127.0.75.1]\nsuppress: { action: reject }\n");
    try (RawSmtp c = new RawSmtp(InetAddress.getLoopbackAddress(), primary, from(75))) {
      assertThat(c.reply()).startsWith("554 5.7.1 ");
      assertThat(c.command("EHLO x.test")).startsWith("503 5.5.1 ");
      assertThat(c.command("QUIT")).startsWith("221 ");
    }
  }

  @Test
  void suppressionsSurviveARestartAndExpireOnTime() throws Exception {
    startArmed("");
    assertThat(greeting(80, trap40)).startsWith("421 4.7.0 ");
    Instant until = clock.instant().plus(Duration.ofHours(24));
    app.close();
    app = null;
    clock.advance(Duration.ofMinutes(10));
    start("");
    assertThat(greeting(80, primary)).startsWith("421 4.7.1 ");
    clock.set(until.minusMillis(1));
    assertThat(greeting(80, primary)).startsWith("421 4.7.1 ");
    clock.set(until);
    assertThat(greeting(80, primary)).startsWith("220 ");
  }

  @Test
  void anEarlyTalkerIsSuppressed() throws Exception {
    start("trap: { arm_after: 1h, greet_delay: 300ms }\n");
    try (RawSmtp c = new RawSmtp(InetAddress.getLoopbackAddress(), primary, from(90))) {
      c.send("EHLO impatient.test\r\n");
      assertThat(c.reply()).startsWith("421 4.7.1 ");
    }
    assertThat(greeting(90, primary)).startsWith("421 4.7.1 ");
    assertThat(greeting(91, primary)).as("a client that waits is greeted").startsWith("220 ");
    assertThat(decisions()).anyMatch(l -> l.contains("\"verdict\":\"early-talker\""));
  }

  @Test
  void anAllowListedEarlyTalkerIsServedAndWhatItSentIsAnswered() throws Exception {
    start("trap: { arm_after: 1h, greet_delay: 300ms }\nallow: [127.0.92.1]\n");
    try (RawSmtp c = new RawSmtp(InetAddress.getLoopbackAddress(), primary, from(92))) {
      c.send("EHLO impatient.test\r\n");
      assertThat(c.reply()).startsWith("220 ");
      assertThat(c.reply()).startsWith("250-mail.example.test");
      assertThat(c.command("QUIT")).startsWith("221 ");
    }
    assertThat(decisions())
        .anyMatch(
            l -> l.contains("\"client\":\"127.0.92.1\"") && l.contains("\"verdict\":\"allowed\""));
  }
}
