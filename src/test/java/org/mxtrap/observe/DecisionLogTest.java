package org.mxtrap.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.Action;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.core.Verdict;

class DecisionLogTest {
  static final LayoutEntry TRAP =
      new LayoutEntry(
          40, "mx3.example.test", Addresses.parse("192.0.2.40").orElseThrow(), 25, Role.TRAP);
  static final Contact CONTACT =
      new Contact(
          Addresses.parse("2001:db8::7").orElseThrow(),
          new InetSocketAddress(TRAP.address(), 25),
          TRAP,
          Instant.parse("2026-11-26T22:31:04.120Z"));

  @TempDir Path dir;

  @Test
  void oneJsonObjectPerLineWithTheProductFields() throws Exception {
    Path file = dir.resolve("log/decisions.jsonl");
    try (DecisionLog log = DecisionLog.open(file, 1 << 20, 2)) {
      log.write(
          CONTACT,
          new Decision(
              Verdict.MX_SKIP,
              Action.TEMPFAIL,
              "no \"lower\" contact\n",
              Instant.parse("2026-11-27T22:31:04.120Z")));
      log.write(CONTACT, Decision.accept("primary"));
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines)
        .containsExactly(
            "{\"ts\":\"2026-11-26T22:31:04.120Z\",\"client\":\"2001:db8::7\",\"local\":\"192.0.2.40:25\","
                + "\"preference\":40,\"role\":\"trap\",\"verdict\":\"mx-skip\",\"action\":\"tempfail\","
                + "\"reason\":\"no \\\"lower\\\" contact\\n\",\"until\":\"2026-11-27T22:31:04.120Z\"}",
            "{\"ts\":\"2026-11-26T22:31:04.120Z\",\"client\":\"2001:db8::7\",\"local\":\"192.0.2.40:25\","
                + "\"preference\":40,\"role\":\"trap\",\"verdict\":\"accept\",\"action\":\"accept\","
                + "\"reason\":\"primary\"}");
  }

  @Test
  void aVerifiedReverseNameFollowsTheClient() {
    Decision d =
        new Decision(Verdict.DNSBL, Action.TEMPFAIL, "DNSBL score 1 reaches the threshold 1", null)
            .withReverseName("mail.example.net");
    assertThat(DecisionLog.line(CONTACT, d))
        .isEqualTo(
            "{\"ts\":\"2026-11-26T22:31:04.120Z\",\"client\":\"2001:db8::7\","
                + "\"ptr\":\"mail.example.net\",\"local\":\"192.0.2.40:25\",\"preference\":40,"
                + "\"role\":\"trap\",\"verdict\":\"dnsbl\",\"action\":\"tempfail\","
                + "\"reason\":\"DNSBL score 1 reaches the threshold 1\"}\n");
  }

  @Test
  void aClientATrustedRelayNamedIsLoggedWithTheRelay() {
    Contact relayed =
        Contact.relayed(
            CONTACT.client(),
            Addresses.parse("192.0.2.20").orElseThrow(),
            CONTACT.local(),
            TRAP,
            CONTACT.at());
    assertThat(DecisionLog.line(relayed, Decision.accept("x")))
        .isEqualTo(
            "{\"ts\":\"2026-11-26T22:31:04.120Z\",\"client\":\"2001:db8::7\","
                + "\"relay\":\"192.0.2.20\",\"local\":\"192.0.2.40:25\",\"preference\":40,"
                + "\"role\":\"trap\",\"verdict\":\"accept\",\"action\":\"accept\","
                + "\"reason\":\"x\"}\n");
  }

  @Test
  void aDictionaryDecisionIsLoggedWithItsVerdict() {
    Decision d =
        new Decision(
            Verdict.DICTIONARY,
            Action.TEMPFAIL,
            "10 unknown recipients in one session",
            Instant.parse("2026-11-27T22:31:04.120Z"));
    assertThat(DecisionLog.line(CONTACT, d))
        .isEqualTo(
            "{\"ts\":\"2026-11-26T22:31:04.120Z\",\"client\":\"2001:db8::7\","
                + "\"local\":\"192.0.2.40:25\",\"preference\":40,\"role\":\"trap\","
                + "\"verdict\":\"dictionary\",\"action\":\"tempfail\","
                + "\"reason\":\"10 unknown recipients in one session\","
                + "\"until\":\"2026-11-27T22:31:04.120Z\"}\n");
  }

  @Test
  void itRotatesAtItsSizeAndKeepsTheNewestFiles() throws Exception {
    Path file = dir.resolve("decisions.jsonl");
    int lineBytes = DecisionLog.line(CONTACT, Decision.accept("x")).length();
    try (DecisionLog log = DecisionLog.open(file, lineBytes * 2L, 2)) {
      for (int i = 0; i < 7; i++) {
        log.write(CONTACT, Decision.accept("x"));
      }
    }
    assertThat(Files.readAllLines(file)).hasSize(1);
    assertThat(Files.readAllLines(dir.resolve("decisions.jsonl.1"))).hasSize(2);
    assertThat(Files.readAllLines(dir.resolve("decisions.jsonl.2"))).hasSize(2);
    assertThat(dir.resolve("decisions.jsonl.3")).doesNotExist();
  }

  @Test
  void linesComingFasterThanBusyAreWrittenTogetherWithinGather() throws Exception {
    Path file = dir.resolve("decisions.jsonl");
    try (DecisionLog log = DecisionLog.open(file, 1 << 20, 2)) {
      for (int i = 0; i < 100; i++) {
        log.write(CONTACT, Decision.accept("burst " + i));
      }
      // The lines before a burst was seen are in the file at once; the others within GATHER.
      assertThat(Files.readAllLines(file).size()).isGreaterThanOrEqualTo(DecisionLog.BURST);
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (Files.readAllLines(file).size() < 100 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(Files.readAllLines(file)).hasSize(100).last().asString().contains("burst 99");
      log.write(CONTACT, Decision.accept("gathered, then closed"));
    }
    assertThat(Files.readAllLines(file)).hasSize(101);
  }

  @Test
  void aFileMovedAwayIsReopenedAtItsPath() throws Exception {
    Path file = dir.resolve("decisions.jsonl");
    try (DecisionLog log = DecisionLog.open(file, 1 << 20, 2)) {
      log.write(CONTACT, Decision.accept("before"));
      Files.move(file, dir.resolve("decisions.jsonl.old"));
      log.forceCheck();
      log.write(CONTACT, Decision.accept("after"));
    }
    assertThat(Files.readString(dir.resolve("decisions.jsonl.old")))
        .contains("before")
        .doesNotContain("after");
    assertThat(Files.readString(file)).contains("after").doesNotContain("before");
  }

  @Test
  void jsonQuotingEscapesControlCharacters() {
    assertThat(Json.write("a\u0001b\\c\"d\te")).isEqualTo("\"a\\u0001b\\\\c\\\"d\\te\"");
    assertThat(Json.write(InetAddress.getLoopbackAddress().getHostAddress()))
        .isEqualTo("\"127.0.0.1\"");
  }
}
