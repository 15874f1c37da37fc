package org.mxtrap.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.config.ConfigLoader;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.core.Action;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Sender;
import org.mxtrap.core.Verdict;
import org.mxtrap.observe.Event;
import org.mxtrap.state.FileAvailabilityHistory;
import org.mxtrap.testing.FakeClock;
import org.mxtrap.testing.FakeDns;
import org.mxtrap.testing.TrapEngines;

/**
 * The DNSBL check and reverse names in the engine: where the check stands in the precedence, which
 * contacts cost DNS lookups, and how long a contact may wait for them. DNS is canned.
 */
class TrapEngineDnsTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant ARMED = T0.plus(Duration.ofHours(2));
  static final InetAddress LISTED = ip("192.0.2.66");
  static final InetAddress CLEAN = ip("198.51.100.7");
  static final String LISTED_Q = "66.2.0.192.";

  @TempDir Path dir;
  final FakeDns dns = new FakeDns();
  final FakeContactHistory contacts = new FakeContactHistory();
  final FakeSuppressionStore suppressions = new FakeSuppressionStore();
  final List<Decision> logged = new ArrayList<>();
  FileAvailabilityHistory availability;
  MxtrapConfig config;
  TrapEngine engine;
  String trapExtra = ""; // more of the trap section, e.g. ", decide_at: mail"

  static InetAddress ip(String s) {
    return Addresses.parse(s).orElseThrow();
  }

  void start(String extraYaml) throws Exception {
    Path file = dir.resolve("mxtrap.yml");
    Files.writeString(
        file,
        """
        domains: [example.test]
        data_dir: data
        layout:
          - { preference: 10, host: mail.example.test, address: 127.0.0.1, port: 2525, role: primary }
          - { preference: 30, host: mx2.example.test, address: 127.0.0.1, port: 2526, role: trap }
        listen: ["127.0.0.1:2525", "127.0.0.1:2526"]
        trap: { arm_after: 1h%s }
        """
                .formatted(trapExtra)
            + extraYaml);
    config = ConfigLoader.load(file);
    availability =
        FileAvailabilityHistory.open(
            dir.resolve("state"), config.layout(), T0, config.trap().armAfter());
    for (LayoutEntry e : config.layout().entries()) {
      availability.up(e, T0);
    }
    engine =
        TrapEngines.of(
            config,
            contacts,
            suppressions,
            new Arming(config.layout(), availability, config.trap().armAfter()),
            dns,
            new FakeClock(T0),
            e -> {
              if (e instanceof Event.Decided d) {
                logged.add(d.decision());
              }
            });
  }

  static final String ONE_ZONE =
      "dnsbl: { zones: [{ zone: bl.test, weight: 1 }] }\ndns: { ptr_budget: 0s }\n";

  @Test
  void decidesFromMemoryOnlyWithoutDnsAndWithTheEmbeddedStore() throws Exception {
    start("dns: { ptr_budget: 0s, spf_budget: 0s }\n");
    assertThat(engine.decidesFromMemory()).isTrue();
    TrapEngine shared =
        TrapEngines.of(
            config,
            contacts,
            suppressions,
            new Arming(config.layout(), availability, config.trap().armAfter()),
            dns,
            new FakeClock(T0),
            java.util.Optional::empty, // a shared store's view, whole at the moment
            e -> {});
    assertThat(shared.decidesFromMemory()).isFalse();
    close();
    start(ONE_ZONE);
    assertThat(engine.decidesFromMemory()).as("DNSBL zones").isFalse();
    close();
    start("dns: { ptr_budget: 0s }\n");
    assertThat(engine.decidesFromMemory()).as("SPF checks").isFalse();
    close();
    start("");
    assertThat(engine.decidesFromMemory()).as("reverse names").isFalse();
  }

  // ---- excusing a fallback by the sender's identity (issue 14) ----------------------------------

  static final InetAddress POOL_A = ip("198.51.100.7");
  static final InetAddress POOL_B = ip("203.0.113.9");
  static final InetAddress BOT = ip("192.0.2.99");

  /** Two members of one sender pool in different networks, each with a verified name. */
  void pool() {
    dns.ptr("198.51.100.7", "mail-a1.pool.test").address("mail-a1.pool.test", "198.51.100.7");
    dns.ptr("203.0.113.9", "mail-b2.pool.test").address("mail-b2.pool.test", "203.0.113.9");
  }

  @Test
  void aPoolMemberOnTheTrapIsExcusedByAnotherMembersContactAtThePrimary() throws Exception {
    start("");
    pool();
    assertThat(connect(POOL_A, 10, ARMED).verdict()).isEqualTo(Verdict.ACCEPT);
    Decision d = connect(POOL_B, 30, ARMED.plusSeconds(5));
    assertThat(d.verdict()).isEqualTo(Verdict.FALLBACK);
    assertThat(d.reason())
        .contains("no contact at a lower MX from 203.0.113.0/24")
        .contains(
            "but one of the same sender, ptr:pool.test (mail-b2.pool.test), from 198.51.100.7");
    assertThat(suppressions.active(ARMED.plusSeconds(5))).isEmpty();
    // explain says the same, without recording anything.
    assertThat(engine.wouldDecide(POOL_B, entry(30), ARMED.plusSeconds(6)).reason())
        .contains("ptr:pool.test");
  }

  @Test
  void aBotWithoutANameOrWithAGenericOneIsSuppressed() throws Exception {
    start("");
    pool();
    dns.ptr("192.0.2.98", "192-0-2-98.dsl.pool.test")
        .address("192-0-2-98.dsl.pool.test", "192.0.2.98");
    assertThat(connect(POOL_A, 10, ARMED).verdict()).isEqualTo(Verdict.ACCEPT);
    Decision none = connect(BOT, 30, ARMED.plusSeconds(5));
    assertThat(none.verdict()).isEqualTo(Verdict.MX_SKIP);
    assertThat(none.reason()).contains("reverse name none");
    Decision generic = connect(ip("192.0.2.98"), 30, ARMED.plusSeconds(5));
    assertThat(generic.verdict()).as("a name that spells its address").isEqualTo(Verdict.MX_SKIP);
    assertThat(generic.reason()).contains("192-0-2-98.dsl.pool.test names no sender");
  }

  @Test
  void anIdentitySeenOnlyOnTheTrapOrTooLongAgoExcusesNothing() throws Exception {
    start(""); // trap.window 24h
    pool();
    dns.ptr("100.64.0.9", "mail-c3.pool.test").address("mail-c3.pool.test", "100.64.0.9");
    assertThat(connect(POOL_B, 30, ARMED).verdict()).isEqualTo(Verdict.MX_SKIP);
    assertThat(connect(ip("100.64.0.9"), 30, ARMED.plusSeconds(1)).verdict())
        .as("a contact at the trap excuses none at the trap")
        .isEqualTo(Verdict.MX_SKIP);
    connect(POOL_A, 10, ARMED.plusSeconds(2));
    dns.ptr("100.64.1.9", "mail-d4.pool.test").address("mail-d4.pool.test", "100.64.1.9");
    Decision late = connect(ip("100.64.1.9"), 30, ARMED.plus(Duration.ofHours(25)));
    assertThat(late.verdict()).isEqualTo(Verdict.MX_SKIP);
    assertThat(late.reason()).contains("nor of its sender, ptr:pool.test");
  }

  @Test
  void aNameThatCannotBeLookedUpTempfailsATrapContactWithoutSuppressing() throws Exception {
    start("dns: { ptr_budget: 200ms }\n");
    dns.hanging("192.0.2.99", "PTR");
    Decision d = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> connect(BOT, 30, ARMED));
    assertThat(d.verdict()).isEqualTo(Verdict.DISARMED);
    assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(d.reason())
        .contains("not suppressed: its reverse name, which could excuse it, is unknown");
    assertThat(suppressions.active(ARMED)).isEmpty();
  }

  // ---- by the sender's domain (SPF) and allow_pools ---------------------------------------------

  static final String SPF_POOL = "v=spf1 ip4:198.51.100.0/24 ip4:203.0.113.0/24 -all";

  @Test
  void aSenderWhoseSpfPassesBothClientsIsExcusedByTheLowerContactOfTheSameDomain()
      throws Exception {
    start("dns: { ptr_budget: 0s }\n");
    dns.txt("pool.example", SPF_POOL);
    Sender s = new Sender("mail.pool.example", "bounce@pool.example");
    assertThat(engine.connect(contact(POOL_A, 10, ARMED), s).verdict()).isEqualTo(Verdict.ACCEPT);
    Decision d = engine.connect(contact(POOL_B, 30, ARMED.plusSeconds(5)), s);
    assertThat(d.verdict()).isEqualTo(Verdict.FALLBACK);
    assertThat(d.reason())
        .contains("but one of the same sender, mail:pool.example, from 198.51.100.7")
        .contains("SPF passing both");
  }

  @Test
  void aBotForgingThePoolsSenderDomainIsSuppressed() throws Exception {
    start("dns: { ptr_budget: 0s }\n");
    dns.txt("pool.example", SPF_POOL);
    Sender s = new Sender("mail.pool.example", "bounce@pool.example");
    engine.connect(contact(POOL_A, 10, ARMED), s);
    Decision d = engine.connect(contact(BOT, 30, ARMED.plusSeconds(5)), s);
    assertThat(d.verdict()).isEqualTo(Verdict.MX_SKIP);
    assertThat(d.reason()).contains("mail:pool.example seen below, but SPF fail for this client");
    assertThat(suppressions.active(ARMED.plusSeconds(5))).hasSize(1);
  }

  @Test
  void anSpfCheckThatCannotBeMadeTempfailsWithoutSuppressing() throws Exception {
    start("dns: { ptr_budget: 0s, spf_budget: 200ms }\n");
    dns.hanging("pool.example", "TXT");
    Sender s = new Sender("mail.pool.example", "bounce@pool.example");
    engine.identified(contact(POOL_A, 10, ARMED), s);
    Decision d =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10),
            () -> engine.connect(contact(BOT, 30, ARMED.plusSeconds(5)), s));
    assertThat(d.verdict()).isEqualTo(Verdict.DISARMED);
    assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(d.reason()).contains("not suppressed: the SPF check of pool.example");
    assertThat(suppressions.active(ARMED.plusSeconds(5))).isEmpty();
  }

  @Test
  void anAddressAnAllowPoolAuthorizesIsNeverSuppressed() throws Exception {
    start("dns: { ptr_budget: 0s }\nallow_pools: [pool.example]\n");
    dns.txt("pool.example", SPF_POOL);
    Decision pooled = connect(POOL_B, 30, ARMED);
    assertThat(pooled.verdict()).isEqualTo(Verdict.FALLBACK);
    assertThat(pooled.reason()).contains("but allow_pools pool.example authorizes it (SPF: ");
    assertThat(connect(BOT, 30, ARMED).verdict()).isEqualTo(Verdict.MX_SKIP);
  }

  // ---- trap.decide_at: mail ---------------------------------------------------------------------

  @Test
  void withDecideAtMailATrapContactWaitsForItsSenderAndIsDecidedOnceWithIt() throws Exception {
    trapExtra = ", decide_at: mail";
    start("dns: { ptr_budget: 0s }\n");
    Decision greeting = connect(BOT, 30, ARMED);
    assertThat(greeting.verdict()).isEqualTo(Verdict.ACCEPT);
    assertThat(greeting.reason()).isEqualTo(TrapEngine.AT_MAIL);
    assertThat(logged).as("nothing logged until it is decided").isEmpty();
    assertThat(suppressions.active(ARMED)).isEmpty();
    assertThat(engine.decidesAtMail(entry(30))).isTrue();
    assertThat(engine.decidesAtMail(entry(10))).isFalse();
    assertThat(connect(POOL_A, 10, ARMED).reason()).as("the primary at once").isEqualTo("primary");

    Decision atMail =
        engine.connect(
            contact(BOT, 30, ARMED.plusSeconds(2)), new Sender("bot.invalid", "x@spam.test"));
    assertThat(atMail.verdict()).isEqualTo(Verdict.MX_SKIP);
    assertThat(atMail.reason()).contains("HELO bot.invalid, MAIL FROM <x@spam.test>");
    assertThat(logged)
        .extracting(Decision::verdict)
        .containsExactly(Verdict.ACCEPT, Verdict.MX_SKIP);
    assertThat(suppressions.active(ARMED.plusSeconds(2))).hasSize(1);
    // Suppressed now: the lists settle it at the greeting from here on.
    assertThat(connect(BOT, 30, ARMED.plusSeconds(3)).verdict()).isEqualTo(Verdict.SUPPRESSED);
  }

  @AfterEach
  void close() {
    if (availability != null) {
      availability.close();
    }
  }

  LayoutEntry entry(int preference) {
    return config.layout().entries().stream()
        .filter(e -> e.preference() == preference)
        .findFirst()
        .orElseThrow();
  }

  Contact contact(InetAddress client, int preference, Instant at) {
    LayoutEntry e = entry(preference);
    return new Contact(client, e.socketAddress(), e, at);
  }

  Decision connect(InetAddress client, int preference, Instant at) {
    return engine.connect(contact(client, preference, at));
  }

  List<String> dnsblQueries() {
    return dns.asked.stream().filter(q -> q.endsWith(".bl.test")).toList();
  }

  @Test
  void aListedClientGetsTheSuppressActionOnEveryEntryAndIsNotSuppressed() throws Exception {
    start(ONE_ZONE + "suppress: { action: reject }\n");
    dns.address(LISTED_Q + "bl.test", "127.0.0.2");
    Decision d = connect(LISTED, 10, ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.DNSBL);
    assertThat(d.action()).isEqualTo(Action.REJECT);
    assertThat(d.reason()).contains("bl.test listed (127.0.0.2) +1");
    assertThat(d.until()).isNull();
    assertThat(contacts.contacts(LISTED)).as("recorded first").containsKey(10);
    assertThat(logged).containsExactly(d);

    // Its contact at MX 10 would excuse it on the trap: the list still refuses it there.
    Decision onTrap = connect(LISTED, 30, ARMED.plusSeconds(1));
    assertThat(onTrap.verdict()).isEqualTo(Verdict.DNSBL);
    assertThat(suppressions.active(ARMED.plusSeconds(1))).as("the list judges, not us").isEmpty();
  }

  @Test
  void anUnlistedClientIsJudgedByTheLayoutAsBefore() throws Exception {
    start(ONE_ZONE);
    assertThat(connect(CLEAN, 10, ARMED)).isEqualTo(Decision.accept("primary"));
    assertThat(connect(CLEAN, 30, ARMED.plusSeconds(1)).verdict()).isEqualTo(Verdict.FALLBACK);
    assertThat(connect(LISTED, 30, ARMED).verdict()).isEqualTo(Verdict.MX_SKIP);
  }

  @Test
  void aListingBelowTheThresholdIsNamedInTheReason() throws Exception {
    start(
        "dnsbl: { zones: [{ zone: bl.test, weight: 0.5 }], threshold: 1 }\n"
            + "dns: { ptr_budget: 0s }\n");
    dns.address(LISTED_Q + "bl.test", "127.0.0.2");
    Decision d = connect(LISTED, 10, ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.ACCEPT);
    assertThat(d.reason())
        .isEqualTo(
            "primary; DNSBL score 0.5 below the threshold 1: bl.test listed (127.0.0.2) +0.5");
  }

  @Test
  void anUnknownZoneFailsOpenOrClosedAsConfigured() throws Exception {
    start(
        "dnsbl: { zones: [{ zone: bl.test }, { zone: down.test, on_unknown: closed }] }\n"
            + "dns: { ptr_budget: 0s }\nsuppress: { action: reject }\n");
    dns.failing(LISTED_Q + "down.test", "A", org.mxtrap.dns.Answer.Failure.SERVFAIL);
    Decision d = connect(LISTED, 10, ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.DNSBL);
    assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(d.reason()).contains("down.test unknown (SERVFAIL: ").contains("(fails closed)");
  }

  @Test
  void theAllowListWinsAndCostsNoDnsblQuery() throws Exception {
    start(ONE_ZONE + "allow: [192.0.2.0/24]\n");
    dns.address(LISTED_Q + "bl.test", "127.0.0.2");
    assertThat(connect(LISTED, 10, ARMED).verdict()).isEqualTo(Verdict.ALLOWED);
    assertThat(dnsblQueries()).isEmpty();
  }

  @Test
  void blockedSuppressedAndTurnedAwayContactsCostNoDnsQuery() throws Exception {
    start("dnsbl: { zones: [bl.test] }\nblock: [203.0.113.0/24]\n"); // reverse names on (default)
    assertThat(connect(ip("203.0.113.5"), 10, ARMED).verdict()).isEqualTo(Verdict.BLOCKED);
    assertThat(connect(LISTED, 30, ARMED).verdict()).isEqualTo(Verdict.MX_SKIP);
    assertThat(dns.asked).as("the trap hit: its DNSBL query and its PTR").hasSize(2);
    dns.asked.clear();
    assertThat(connect(LISTED, 10, ARMED.plusSeconds(1)).verdict()).isEqualTo(Verdict.SUPPRESSED);
    LayoutEntry primary = entry(10);
    Decision turnedAway =
        engine.connect(new Contact(CLEAN, primary.socketAddress(), primary, ARMED, true));
    assertThat(turnedAway.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(dns.asked).isEmpty();
  }

  @Test
  void theVerifiedReverseNameRidesOnTheDecision() throws Exception {
    start("dnsbl: { zones: [bl.test] }\n");
    dns.ptr("198.51.100.7", "mail.sender.test").address("mail.sender.test", "198.51.100.7");
    dns.ptr("192.0.2.66", "liar.test").address("liar.test", "192.0.2.1");
    Decision d = connect(CLEAN, 10, ARMED);
    assertThat(d.reverseName()).isEqualTo("mail.sender.test");
    assertThat(logged.get(0).reverseName()).isEqualTo("mail.sender.test");
    assertThat(connect(LISTED, 10, ARMED).reverseName()).as("unverified: not used").isNull();
  }

  @Test
  void anAllowedClientGetsItsReverseNameToo() throws Exception {
    start("allow: [198.51.100.0/24]\n");
    dns.ptr("198.51.100.7", "mail.sender.test").address("mail.sender.test", "198.51.100.7");
    Decision d = connect(CLEAN, 30, ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.ALLOWED);
    assertThat(d.reverseName()).isEqualTo("mail.sender.test");
  }

  @Test
  void slowDnsDelaysAContactByTheLongerBudgetOnlyNotTheSum() throws Exception {
    start(
        "dnsbl: { zones: [bl.test, slow.test], timeout: 300ms }\n"
            + "dns: { ptr_budget: 300ms }\n");
    dns.hanging(LISTED_Q + "slow.test", "A").hanging("192.0.2.66", "PTR");
    Decision d =
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> connect(LISTED, 10, ARMED));
    assertThat(d.verdict()).isEqualTo(Verdict.ACCEPT);
    assertThat(d.reason()).contains("slow.test unknown (TIMEOUT: no answer within 300ms)");
    assertThat(d.reverseName()).isNull();
    assertThat(dns.mostHung.get()).as("the PTR and the DNSBL lookups waited at once").isEqualTo(2);
  }

  @Test
  void wouldDecideAsksTheListsOnceForEveryEntry() throws Exception {
    start("dnsbl: { zones: [bl.test] }\n");
    dns.address(LISTED_Q + "bl.test", "127.0.0.2");
    List<Decision> would = engine.wouldDecide(LISTED, config.layout().entries(), ARMED);
    assertThat(would).extracting(Decision::verdict).containsExactly(Verdict.DNSBL, Verdict.DNSBL);
    assertThat(dnsblQueries()).containsExactly("A " + LISTED_Q + "bl.test");
    assertThat(logged).isEmpty();
    assertThat(contacts.contacts(LISTED)).isEmpty();
  }
}
