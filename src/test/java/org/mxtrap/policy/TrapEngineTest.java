package org.mxtrap.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.config.ConfigLoader;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.config.TrapSettings;
import org.mxtrap.core.Action;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Verdict;
import org.mxtrap.observe.Event;
import org.mxtrap.state.BoundedContactHistory;
import org.mxtrap.state.ContactHistory;
import org.mxtrap.state.FileAvailabilityHistory;
import org.mxtrap.testing.FakeDns;
import org.mxtrap.testing.TrapEngines;

class TrapEngineTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant ARMED = T0.plus(Duration.ofHours(2)); // arm_after is 1h below
  static final InetAddress SPAMMER = ip("192.0.2.66");
  static final InetAddress SENDER = ip("198.51.100.7");

  @TempDir Path dir;
  ContactHistory contacts = new FakeContactHistory(); // exact addresses, unless a test sets it
  final FakeSuppressionStore suppressions = new FakeSuppressionStore();
  final List<Decision> logged = new ArrayList<>();
  FileAvailabilityHistory availability;
  volatile Optional<String> partial = Optional.empty(); // the view of the shared state
  MxtrapConfig config;
  TrapEngine engine;

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
          - { preference: 20, host: mx1.example.test, address: 127.0.0.1, port: 2528, role: backup }
          - { preference: 30, host: mx2.example.test, address: 127.0.0.1, port: 2526, role: trap }
          - { preference: 40, host: mx3.example.test, address: 127.0.0.1, port: 2527, role: trap }
        listen: ["127.0.0.1:2525", "127.0.0.1:2526", "127.0.0.1:2527"]
        """
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
            new FakeDns(),
            Clock.systemUTC(),
            () -> partial,
            e -> {
              if (e instanceof Event.Decided d) {
                logged.add(d.decision());
              }
            });
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

  Decision connect(InetAddress client, int preference, Instant at) {
    LayoutEntry e = entry(preference);
    return engine.connect(new Contact(client, new InetSocketAddress(e.address(), e.port()), e, at));
  }

  static final String ARM_1H = "trap: { arm_after: 1h }\n";

  @Test
  void thePrimaryServesEveryoneNotSuppressed() throws Exception {
    start(ARM_1H);
    Decision d = connect(SENDER, 10, ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.ACCEPT);
    assertThat(d.action()).isEqualTo(Action.ACCEPT);
    assertThat(logged).containsExactly(d);
    assertThat(contacts.contacts(SENDER)).containsKey(10);
  }

  @Test
  void aContactTheLimitsTurnAwayCountsAndIsLoggedAsTheTempfailItGets() throws Exception {
    start(ARM_1H);
    LayoutEntry primary = entry(10);
    Decision d = engine.connect(new Contact(SENDER, primary.socketAddress(), primary, ARMED, true));
    assertThat(d.verdict()).isEqualTo(Verdict.ACCEPT);
    assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(d.reason()).endsWith("turned away: connection limit reached");
    assertThat(connect(SENDER, 30, ARMED.plusSeconds(1)).verdict())
        .as("the turned-away contact excuses the walk on")
        .isEqualTo(Verdict.FALLBACK);
  }

  @Test
  void aContactAtALowerPreferenceWithinTheWindowExcusesTheTrap() throws Exception {
    start(ARM_1H);
    connect(SENDER, 10, ARMED);
    Decision d = connect(SENDER, 30, ARMED.plusSeconds(600));
    assertThat(d.verdict()).isEqualTo(Verdict.FALLBACK);
    assertThat(d.serves()).isTrue();
    assertThat(suppressions.active(ARMED.plusSeconds(600))).isEmpty();
  }

  @Test
  void aContactOnAnArmedTrapWithoutALowerOneIsAnMxSkipAndSuppressesEverywhere() throws Exception {
    start(ARM_1H);
    Decision d = connect(SPAMMER, 40, ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.MX_SKIP);
    assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(d.until()).isEqualTo(ARMED.plus(Duration.ofHours(24)));
    assertThat(d.reason()).contains("no contact at a lower MX from 192.0.2.0/24").contains("armed");

    Decision onPrimary = connect(SPAMMER, 10, ARMED.plusSeconds(5));
    assertThat(onPrimary.verdict()).isEqualTo(Verdict.SUPPRESSED);
    assertThat(onPrimary.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(onPrimary.until()).isEqualTo(d.until());

    Decision afterExpiry = connect(SPAMMER, 10, d.until());
    assertThat(afterExpiry.verdict()).as("expiry is exact").isEqualTo(Verdict.ACCEPT);
  }

  @Test
  void aLowerContactOlderThanTheWindowExcusesNothing() throws Exception {
    start("trap: { arm_after: 1h, window: 10m }\n");
    connect(SENDER, 10, ARMED);
    assertThat(connect(SENDER, 30, ARMED.plusSeconds(599)).verdict()).isEqualTo(Verdict.FALLBACK);
    assertThat(connect(SENDER, 30, ARMED.plusSeconds(601 + 599)).verdict())
        .isEqualTo(Verdict.MX_SKIP);
  }

  @Test
  void aTrapThatIsNotArmedOnlyTempfails() throws Exception {
    start(ARM_1H);
    Decision d = connect(SPAMMER, 30, T0.plusSeconds(60));
    assertThat(d.verdict()).isEqualTo(Verdict.DISARMED);
    assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(d.until()).isNull();
    assertThat(d.reason()).contains("history starts at");
    assertThat(suppressions.active(T0.plusSeconds(60))).isEmpty();
  }

  @Test
  void aTrapIsDisarmedForArmAfterOnceEveryLowerEntryWasDown() throws Exception {
    start(ARM_1H);
    Instant t = ARMED;
    availability.down(entry(10), t.minusSeconds(100), "connection limit reached");
    availability.down(entry(20), t.minusSeconds(90), "probe failed");
    availability.up(entry(10), t.minusSeconds(80));
    assertThat(connect(SPAMMER, 30, t).verdict()).isEqualTo(Verdict.DISARMED);
    assertThat(
            connect(SPAMMER, 30, t.minusSeconds(80).plus(Duration.ofHours(1)).plusSeconds(1))
                .verdict())
        .isEqualTo(Verdict.MX_SKIP);
  }

  @Test
  void theAllowListWinsOverEverything() throws Exception {
    start(ARM_1H + "allow: [192.0.2.0/24]\nblock: [192.0.2.66]\n");
    Decision d = connect(SPAMMER, 40, ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.ALLOWED);
    assertThat(d.serves()).isTrue();
    assertThat(suppressions.active(ARMED)).isEmpty();
    assertThat(engine.earlyTalker(contactOn(SPAMMER, 10, ARMED)).verdict())
        .isEqualTo(Verdict.ALLOWED);
  }

  @Test
  void theBlockListGetsTheSuppressAction() throws Exception {
    start(ARM_1H + "block: [\"2001:db8::/32\"]\nsuppress: { action: reject }\n");
    Decision d = connect(ip("2001:db8::5"), 10, ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.BLOCKED);
    assertThat(d.action()).isEqualTo(Action.REJECT);
    assertThat(d.reason()).contains("2001:db8::/32");
  }

  @Test
  void repeatOffencesDoubleUpToTheMaximum() throws Exception {
    start("trap: { arm_after: 1h, suppress_for: 1h, suppress_max: 3h }\n");
    Instant t = ARMED;
    List<Duration> lengths = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Decision d = connect(SPAMMER, 30, t);
      assertThat(d.verdict()).isEqualTo(Verdict.MX_SKIP);
      lengths.add(Duration.between(t, d.until()));
      t = d.until();
    }
    assertThat(lengths)
        .containsExactly(
            Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(3), Duration.ofHours(3));
  }

  @Test
  void onTrapChoosesTheAnswerOfATrapHit() throws Exception {
    start("trap: { arm_after: 1h, on_trap: tarpit }\nsuppress: { action: reject }\n");
    assertThat(connect(SPAMMER, 30, ARMED).action()).isEqualTo(Action.TARPIT);
    assertThat(connect(SPAMMER, 10, ARMED.plusSeconds(1)).action()).isEqualTo(Action.REJECT);
  }

  @Test
  void aBackupSkipTempfailsByDefaultWithoutSuppression() throws Exception {
    start(ARM_1H);
    Decision d = connect(SPAMMER, 20, ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.BACKUP_SKIP);
    assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(suppressions.active(ARMED)).isEmpty();
    connect(SENDER, 10, ARMED);
    assertThat(connect(SENDER, 20, ARMED.plusSeconds(1)).verdict()).isEqualTo(Verdict.FALLBACK);
  }

  @Test
  void backupSkipTrapSuppressesAndIgnoreServes() throws Exception {
    start("trap: { arm_after: 1h, backup_skip: trap }\n");
    Decision d = connect(SPAMMER, 20, ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.BACKUP_SKIP);
    assertThat(d.until()).isNotNull();
    close();
    logged.clear();
    dir = Files.createTempDirectory(dir, "again");
    start("trap: { arm_after: 1h, backup_skip: ignore }\n");
    Decision ignored = connect(ip("192.0.2.99"), 20, ARMED);
    assertThat(ignored.verdict()).isEqualTo(Verdict.BACKUP_SKIP);
    assertThat(ignored.serves()).isTrue();
  }

  @Test
  void aBackupServesASenderWhileThePrimaryWasRecentlyDown() throws Exception {
    start(ARM_1H);
    availability.down(entry(10), ARMED.minusSeconds(100), "probe failed");
    availability.up(entry(10), ARMED.minusSeconds(50));
    Decision d = connect(SENDER, 20, ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.ACCEPT);
    assertThat(d.reason()).contains("unavailable");
  }

  @Test
  void anEarlyTalkerIsSuppressed() throws Exception {
    start(ARM_1H);
    Decision d = engine.earlyTalker(contactOn(SPAMMER, 10, ARMED));
    assertThat(d.verdict()).isEqualTo(Verdict.EARLY_TALKER);
    assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(suppressions.find(SPAMMER, ARMED.plusSeconds(1))).isPresent();
  }

  // --- dictionary attacks ---------------------------------------------------------------------

  @Test
  void aDictionaryAttackerIsSuppressedEverywhereUnderItsOwnVerdict() throws Exception {
    start(ARM_1H);
    Decision d = engine.dictionary(contactOn(SPAMMER, 10, ARMED), 10);
    assertThat(d.verdict()).isEqualTo(Verdict.DICTIONARY);
    assertThat(d.verdict().label()).isEqualTo("dictionary");
    assertThat(d.action()).as("suppress.action").isEqualTo(Action.TEMPFAIL);
    assertThat(d.serves()).isFalse();
    assertThat(d.until()).isEqualTo(ARMED.plus(Duration.ofHours(24)));
    assertThat(d.reason())
        .startsWith(
            "10 unknown recipients in one session on MX 10 mail.example.test 127.0.0.1:2525"
                + " primary; suppressed until "
                + ARMED.plus(Duration.ofHours(24))
                + " (offence 1)");
    assertThat(logged).containsExactly(d);
    assertThat(suppressions.find(SPAMMER, ARMED.plusSeconds(1)))
        .hasValueSatisfying(s -> assertThat(s.reason()).isEqualTo("dictionary"));

    Decision onATrap = connect(SPAMMER, 30, ARMED.plusSeconds(5));
    assertThat(onATrap.verdict()).isEqualTo(Verdict.SUPPRESSED);
    assertThat(onATrap.until()).isEqualTo(d.until());
  }

  @Test
  void aDictionaryAttackGetsTheSuppressActionAndRepeatsDouble() throws Exception {
    start(
        "trap: { arm_after: 1h, suppress_for: 1h, suppress_max: 3h }\n"
            + "suppress: { action: reject }\n");
    Decision first = engine.dictionary(contactOn(SPAMMER, 30, ARMED), 12);
    assertThat(first.action()).isEqualTo(Action.REJECT);
    assertThat(first.reason()).startsWith("12 unknown recipients in one session on MX 30");
    Decision again = engine.dictionary(contactOn(SPAMMER, 10, first.until()), 10);
    assertThat(Duration.between(first.until(), again.until())).isEqualTo(Duration.ofHours(2));
    assertThat(again.reason()).contains("(offence 2)");
  }

  @Test
  void theAllowListWinsOverADictionaryAttack() throws Exception {
    start(ARM_1H + "allow: [192.0.2.0/24]\n");
    Decision d = engine.dictionary(contactOn(SPAMMER, 10, ARMED), 50);
    assertThat(d.verdict()).isEqualTo(Verdict.ALLOWED);
    assertThat(d.action()).isEqualTo(Action.ACCEPT);
    assertThat(d.serves()).isTrue();
    assertThat(d.until()).isNull();
    assertThat(d.reason())
        .isEqualTo(
            "50 unknown recipients in one session on MX 10 mail.example.test 127.0.0.1:2525"
                + " primary, but on the allow list (192.0.2.0/24)");
    assertThat(suppressions.active(ARMED)).isEmpty();
    assertThat(logged).containsExactly(d);
  }

  @Test
  void aDictionaryDecisionRecordsNoContact() throws Exception {
    start(ARM_1H);
    engine.dictionary(contactOn(SENDER, 10, ARMED), 10);
    assertThat(contacts.contacts(SENDER))
        .as("the connection's contact was recorded at connect, not again")
        .isEmpty();
  }

  @Test
  void wouldDecideChangesNothing() throws Exception {
    start(ARM_1H);
    Decision d = engine.wouldDecide(SPAMMER, entry(30), ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.MX_SKIP);
    assertThat(d.reason()).contains("would be suppressed");
    assertThat(suppressions.active(ARMED)).isEmpty();
    assertThat(contacts.contacts(SPAMMER)).isEmpty();
    assertThat(logged).isEmpty();
  }

  Contact contactOn(InetAddress client, int preference, Instant at) {
    LayoutEntry e = entry(preference);
    return new Contact(client, e.socketAddress(), e, at);
  }

  static final InetAddress BACKUP_HOST = ip("203.0.113.20");
  static final String TRUSTED = "trusted_relays: [\"203.0.113.20\"]\n";

  Decision relayed(InetAddress client, int preference, Instant at) {
    LayoutEntry e = entry(preference);
    return engine.relayed(Contact.relayed(client, BACKUP_HOST, e.socketAddress(), e, at));
  }

  @Test
  void aTrustedRelayIsServedLikeTheAllowListAndNeverSuppressed() throws Exception {
    start(ARM_1H + TRUSTED);
    Decision d = connect(BACKUP_HOST, 30, ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.ALLOWED);
    assertThat(d.reason()).isEqualTo("a trusted relay (203.0.113.20/32)");
    assertThat(suppressions.active(ARMED)).isEmpty();
  }

  @Test
  void aRelayedClientIsJudgedByTheListsAndSuppressionsNotByTheLayout() throws Exception {
    start(ARM_1H + TRUSTED + "block: [\"192.0.2.99\"]\n");
    assertThat(relayed(SENDER, 10, ARMED).verdict()).isEqualTo(Verdict.ACCEPT);
    assertThat(relayed(SENDER, 30, ARMED).verdict())
        .as("on a trap too: it did not connect there itself")
        .isEqualTo(Verdict.ACCEPT);
    assertThat(contacts.contacts(SENDER)).as("no contact recorded").isEmpty();
    assertThat(relayed(ip("192.0.2.99"), 10, ARMED).verdict()).isEqualTo(Verdict.BLOCKED);

    assertThat(connect(SPAMMER, 30, ARMED).verdict()).isEqualTo(Verdict.MX_SKIP);
    Decision d = relayed(SPAMMER, 10, ARMED.plusSeconds(60));
    assertThat(d.verdict()).isEqualTo(Verdict.SUPPRESSED);
    assertThat(d.reason()).endsWith("; relayed by 203.0.113.20");
    assertThat(logged).last().isEqualTo(d);
  }

  static final String PARTIAL = "redis 127.0.0.1:6379 not answering since " + T0;

  @Test
  void onAPartialViewATrapIsNotArmedAndSuppressesNobody() throws Exception {
    start(ARM_1H);
    partial = Optional.of(PARTIAL);
    Decision d = connect(SPAMMER, 30, ARMED);
    assertThat(d.verdict()).isEqualTo(Verdict.DISARMED);
    assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(d.reason()).contains("the shared state is partial: " + PARTIAL);
    assertThat(suppressions.active(ARMED)).isEmpty();

    assertThat(connect(SPAMMER, 20, ARMED).serves())
        .as("a backup serves rather than call a backup skip it cannot be sure of")
        .isTrue();
    assertThat(connect(SENDER, 10, ARMED).verdict()).isEqualTo(Verdict.ACCEPT);
    assertThat(connect(SENDER, 30, ARMED.plusSeconds(1)).verdict())
        .as("what this host knows still excuses")
        .isEqualTo(Verdict.FALLBACK);

    partial = Optional.empty();
    assertThat(connect(ip("192.0.2.67"), 30, ARMED.plusSeconds(2)).verdict())
        .as("whole again: armed")
        .isEqualTo(Verdict.MX_SKIP);
  }

  @Test
  void onAPartialViewClosedTempfailsWhatItWouldServeButStillRefusesTheKnownOffenders()
      throws Exception {
    start(ARM_1H + "state: { on_outage: closed }\nallow: [203.0.113.0/24]\n");
    suppressions.add(
        org.mxtrap.core.Cidr.of(SPAMMER, 32), T0, Duration.ofDays(1), "manual", "test");
    partial = Optional.of(PARTIAL);

    Decision primary = connect(SENDER, 10, ARMED);
    assertThat(primary.verdict()).isEqualTo(Verdict.ACCEPT);
    assertThat(primary.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(primary.reason())
        .contains("tempfailed: the shared state is partial (state.on_outage: closed): " + PARTIAL);
    assertThat(connect(SENDER, 20, ARMED).action()).isEqualTo(Action.TEMPFAIL);
    assertThat(connect(SPAMMER, 10, ARMED).verdict()).isEqualTo(Verdict.SUPPRESSED);
    assertThat(connect(ip("203.0.113.5"), 10, ARMED).serves())
        .as("the allow list needs no shared state")
        .isTrue();

    partial = Optional.empty();
    assertThat(connect(SENDER, 10, ARMED).serves()).isTrue();
  }

  // --- prefixes (trap.excuse_prefix_v4/_v6, trap.suppress_prefix_v4/_v6) -----------------------

  @Test
  void anIpv6TrapHitSuppressesTheClientsSlash64() throws Exception {
    start(ARM_1H);
    Decision hit = connect(ip("2001:db8:1:2::66"), 30, ARMED);
    assertThat(hit.verdict()).isEqualTo(Verdict.MX_SKIP);
    assertThat(suppressions.active(ARMED))
        .extracting(x -> x.prefix().toString())
        .containsExactly("2001:db8:1:2::/64");
    assertThat(connect(ip("2001:db8:1:2:ffff::1"), 10, ARMED.plusSeconds(1)).verdict())
        .as("another address of the same /64, on the primary")
        .isEqualTo(Verdict.SUPPRESSED);
    assertThat(connect(ip("2001:db8:1:3::66"), 10, ARMED.plusSeconds(1)).verdict())
        .as("the next /64")
        .isEqualTo(Verdict.ACCEPT);
  }

  @Test
  void anIpv4TrapHitSuppressesTheAddressUnlessAWiderPrefixIsConfigured() throws Exception {
    start(ARM_1H);
    connect(SPAMMER, 30, ARMED);
    assertThat(suppressions.active(ARMED))
        .extracting(x -> x.prefix().toString())
        .containsExactly("192.0.2.66/32");
    assertThat(connect(ip("192.0.2.67"), 10, ARMED.plusSeconds(1)).verdict())
        .as("a neighbour in the same /24")
        .isEqualTo(Verdict.ACCEPT);

    close();
    dir = Files.createTempDirectory(dir, "wide");
    suppressions.remove(Cidr.of(SPAMMER, 32), ARMED);
    start("trap: { arm_after: 1h, suppress_prefix_v4: 24 }\n");
    Decision d = engine.earlyTalker(contactOn(SPAMMER, 10, ARMED));
    assertThat(d.verdict()).isEqualTo(Verdict.EARLY_TALKER);
    assertThat(suppressions.active(ARMED))
        .extracting(x -> x.prefix().toString())
        .containsExactly("192.0.2.0/24");
    assertThat(connect(ip("192.0.2.67"), 10, ARMED.plusSeconds(1)).verdict())
        .isEqualTo(Verdict.SUPPRESSED);
  }

  @Test
  void aFallbackFromAnotherAddressOfTheSameSlash24IsExcusedByDefault() throws Exception {
    TrapSettings d = TrapSettings.DEFAULTS;
    contacts =
        new BoundedContactHistory(
            d.excusePrefixV4(), d.excusePrefixV6(), 1000, d.window(), 10, 20, 30, 40);
    start(ARM_1H);
    connect(ip("198.51.100.7"), 10, ARMED); // a pool member tries the primary
    assertThat(connect(ip("198.51.100.200"), 30, ARMED.plusSeconds(60)).verdict())
        .as("another member of its /24 walks on to MX 30")
        .isEqualTo(Verdict.FALLBACK);
    Decision other = connect(ip("198.51.101.7"), 30, ARMED.plusSeconds(60));
    assertThat(other.verdict()).as("the next /24").isEqualTo(Verdict.MX_SKIP);
    assertThat(other.reason()).contains("no contact at a lower MX from 198.51.101.0/24");
  }
}
