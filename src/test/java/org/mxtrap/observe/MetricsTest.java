package org.mxtrap.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.IpLiterals;
import org.mxtrap.core.Action;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.core.Verdict;
import org.mxtrap.testing.FakeClock;

class MetricsTest {
  private static final Duration WINDOW = Duration.ofHours(1);
  private static final LayoutEntry PRIMARY = entry(10, "192.0.2.10", Role.PRIMARY);
  private static final LayoutEntry BACKUP = entry(20, "192.0.2.20", Role.BACKUP);
  private static final LayoutEntry TRAP = entry(30, "2001:db8::30", Role.TRAP);

  private final FakeClock clock = new FakeClock(Instant.parse("2025-06-03T10:00:00Z"));
  private final Metrics metrics =
      new Metrics(List.of(PRIMARY, BACKUP, TRAP), WINDOW, clock, "1.2.3", "mx.example.test");

  @Test
  void connectionsAndDecisionsCountByEntryWithEveryDataPointThereFromTheStart() throws IOException {
    Scrape before = scrape();
    assertThat(before.value("mxtrap_connections_total", "role", "trap", "outcome", "accepted"))
        .isEqualTo(0);
    assertThat(before.value("mxtrap_decisions_total", "preference", "10", "verdict", "mx-skip"))
        .isEqualTo(0);

    metrics.on(new Event.Connected(ip("198.51.100.7"), TRAP));
    metrics.on(new Event.Connected(ip("198.51.100.8"), TRAP));
    metrics.on(new Event.Refused(ip("198.51.100.7"), PRIMARY, Event.Refusal.CLIENT_LIMIT));
    metrics.on(new Event.Refused(ip("198.51.100.7"), null, Event.Refusal.NO_LAYOUT_ENTRY));
    metrics.on(decided("198.51.100.7", TRAP, Verdict.MX_SKIP));
    metrics.on(decided("198.51.100.8", PRIMARY, Verdict.ACCEPT));

    Scrape s = scrape();
    assertThat(
            s.value(
                "mxtrap_connections_total",
                "preference",
                "30",
                "address",
                "[2001:db8::30]:25",
                "role",
                "trap",
                "outcome",
                "accepted"))
        .isEqualTo(2);
    assertThat(s.value("mxtrap_connections_total", "preference", "10", "outcome", "client_limit"))
        .isEqualTo(1);
    assertThat(
            s.value(
                "mxtrap_connections_total",
                "preference",
                "",
                "address",
                "",
                "role",
                "none",
                "outcome",
                "no_layout_entry"))
        .isEqualTo(1);
    assertThat(s.value("mxtrap_decisions_total", "preference", "30", "verdict", "mx-skip"))
        .isEqualTo(1);
    assertThat(s.value("mxtrap_decisions_total", "preference", "10", "verdict", "accept"))
        .isEqualTo(1);
    assertThat(
            s.value("mxtrap_trap_hits_total", "preference", "30", "address", "[2001:db8::30]:25"))
        .isEqualTo(1);
    assertThat(s.series("mxtrap_trap_hits_total")).hasSize(1); // only the trap has hits
  }

  @Test
  void aSuppressionOfAPrefixHoldingARecentFallbackClientIsTheFalsePositiveSignal()
      throws IOException {
    metrics.on(decided("192.0.2.77", BACKUP, Verdict.FALLBACK));
    metrics.on(suppressed("198.51.100.0/24", "mx-skip")); // another network: no sign
    assertThat(scrape().value("mxtrap_fallback_suppressed_total")).isEqualTo(0);

    metrics.on(suppressed("192.0.2.77/32", "mx-skip")); // the client itself
    metrics.on(suppressed("192.0.2.0/24", "early-talker")); // a prefix that holds it
    Scrape s = scrape();
    assertThat(s.value("mxtrap_fallback_suppressed_total")).isEqualTo(2);
    assertThat(s.value("mxtrap_suppressions_added_total", "reason", "mx-skip")).isEqualTo(2);
    assertThat(s.value("mxtrap_suppressions_added_total", "reason", "early-talker")).isEqualTo(1);
    assertThat(s.value("mxtrap_suppressions_added_total", "reason", "manual")).isEqualTo(0);

    clock.advance(WINDOW.plusSeconds(1)); // served as fallback longer ago than the window
    metrics.on(suppressed("192.0.2.77/32", "manual"));
    assertThat(scrape().value("mxtrap_fallback_suppressed_total")).isEqualTo(2);
  }

  @Test
  void theFallbackMemoryIsBoundedOldestDropped() throws IOException {
    for (int i = 0; i <= Metrics.FALLBACK_MEMORY; i++) { // one more than it keeps
      metrics.on(
          decided(
              "10." + (i >> 16 & 0xff) + "." + (i >> 8 & 0xff) + "." + (i & 0xff),
              BACKUP,
              Verdict.FALLBACK));
    }
    metrics.on(suppressed("10.0.0.0/32", "mx-skip")); // the first: dropped
    metrics.on(suppressed("10.0.0.1/32", "mx-skip")); // the second: kept
    assertThat(scrape().value("mxtrap_fallback_suppressed_total")).isEqualTo(1);
  }

  @Test
  void storeDnsAndDnsblLatenciesAreClassicHistogramsInSeconds() throws IOException {
    metrics.on(new Event.StoreCalled("suppressions", "find", Duration.ofMillis(2)));
    metrics.on(new Event.StoreCalled("suppressions", "find", Duration.ofMillis(4)));
    metrics.on(new Event.StoreFailed("suppressions", "offend", new RuntimeException("x")));
    metrics.on(
        new Event.DnsAsked(Event.RecordType.PTR, Event.Lookup.UNKNOWN, Duration.ofSeconds(2)));
    metrics.on(new Event.DnsblAsked("bl.example", Event.Listing.NOT_LISTED, Duration.ofMillis(30)));

    Scrape s = scrape();
    assertThat(s.value("mxtrap_store_seconds_count", "store", "suppressions", "operation", "find"))
        .isEqualTo(2);
    assertThat(s.value("mxtrap_store_seconds_sum", "operation", "find")).isCloseTo(0.006, within());
    assertThat(s.value("mxtrap_store_seconds_bucket", "operation", "find", "le", "0.0025"))
        .isEqualTo(1);
    assertThat(s.value("mxtrap_store_errors_total", "store", "suppressions", "operation", "offend"))
        .isEqualTo(1);
    assertThat(s.value("mxtrap_dns_lookups_total", "type", "ptr", "outcome", "unknown"))
        .isEqualTo(1);
    assertThat(s.value("mxtrap_dns_lookups_total", "type", "a", "outcome", "found")).isEqualTo(0);
    assertThat(s.value("mxtrap_dns_lookup_seconds_bucket", "type", "ptr", "le", "2.5"))
        .isEqualTo(1);
    assertThat(s.value("mxtrap_dns_lookup_seconds_bucket", "type", "ptr", "le", "1.0"))
        .isEqualTo(0);
    assertThat(s.value("mxtrap_dnsbl_lookups_total", "zone", "bl.example", "outcome", "not_listed"))
        .isEqualTo(1);
    assertThat(s.value("mxtrap_dnsbl_lookups_total", "zone", "bl.example", "outcome", "listed"))
        .isEqualTo(0);
    assertThat(s.value("mxtrap_dnsbl_lookup_seconds_count", "zone", "bl.example")).isEqualTo(1);
  }

  @Test
  void messagesDeliveriesTarpitStateAndInfo() throws IOException {
    metrics.on(new Event.MessageAccepted("Q1", 2, 100));
    metrics.on(new Event.Delivery("Q1", Event.Outcome.SENT, "local"));
    metrics.on(new Event.Delivery("Q1", Event.Outcome.DEFERRED, "mx.example"));
    metrics.on(new Event.TarpitHeld(3));
    metrics.on(new Event.StatePartial("redis away"));
    metrics.on(new Event.SuppressionsExpired(4));
    metrics.on(new Event.SuppressionRemoved(Cidr.parse("192.0.2.9")));
    Scrape s = scrape();
    assertThat(s.value("mxtrap_messages_accepted_total")).isEqualTo(1);
    assertThat(s.value("mxtrap_deliveries_total", "result", "sent")).isEqualTo(1);
    assertThat(s.value("mxtrap_deliveries_total", "result", "deferred")).isEqualTo(1);
    assertThat(s.value("mxtrap_deliveries_total", "result", "expired")).isEqualTo(0);
    assertThat(s.value("mxtrap_tarpit_held")).isEqualTo(3);
    assertThat(s.value("mxtrap_state_partial")).isEqualTo(1);
    assertThat(s.value("mxtrap_suppressions_expired_total")).isEqualTo(4);
    assertThat(s.value("mxtrap_suppressions_removed_total")).isEqualTo(1);
    assertThat(s.value("mxtrap_info", "version", "1.2.3", "hostname", "mx.example.test"))
        .isEqualTo(1);
    assertThat(s.names())
        .anyMatch(n -> n.startsWith("jvm_"))
        .anyMatch(n -> n.startsWith("process_"));

    metrics.on(new Event.StateWhole(Duration.ofSeconds(5), 0));
    metrics.on(new Event.TarpitHeld(0));
    assertThat(scrape().value("mxtrap_state_partial")).isEqualTo(0);
  }

  @Test
  void gaugesReadAtScrapeTimeThroughTheReadings() throws IOException {
    assertThat(scrape().series("mxtrap_entry_armed")).isEmpty(); // nothing to read yet

    Instant now = clock.instant();
    Metrics.Readings readings =
        new Metrics.Readings() {
          @Override
          public boolean armed(LayoutEntry e, Instant at) {
            return e.role() == Role.TRAP;
          }

          @Override
          public @Nullable Instant outageEnded(LayoutEntry e, Instant at) {
            return e.equals(BACKUP) ? now.minusSeconds(90) : null; // the primary: never down
          }

          @Override
          public int queued() {
            return 2;
          }

          @Override
          public @Nullable Instant oldestQueued() {
            return now.minusSeconds(600);
          }

          @Override
          public int suppressionsActive(Instant at) {
            return 100_000;
          }
        };
    metrics.read(readings);
    clock.advance(Duration.ofSeconds(10));

    Scrape s = scrape();
    assertThat(s.value("mxtrap_entry_armed", "preference", "30", "role", "trap")).isEqualTo(1);
    assertThat(s.value("mxtrap_entry_armed", "preference", "20", "role", "backup")).isEqualTo(0);
    assertThat(s.series("mxtrap_entry_armed")).hasSize(2); // a primary is never armed
    assertThat(s.value("mxtrap_entry_outage_seconds_ago", "preference", "20")).isEqualTo(100);
    assertThat(s.series("mxtrap_entry_outage_seconds_ago")).hasSize(1);
    assertThat(s.value("mxtrap_queue_messages")).isEqualTo(2);
    assertThat(s.value("mxtrap_queue_oldest_age_seconds")).isEqualTo(610);
    assertThat(s.value("mxtrap_suppressions_active")).isEqualTo(100_000);
    assertThatThrownBy(() -> metrics.read(readings)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void labelSetsAreBoundedByTheLayoutNeverAClientAddress() throws IOException {
    Set<String> before = scrape().seriesOf("mxtrap_");
    for (int i = 0; i < 500; i++) {
      String client = "203.0." + (i >> 8) + "." + (i & 0xff);
      metrics.on(new Event.Connected(ip(client), TRAP));
      metrics.on(decided(client, TRAP, Verdict.values()[i % Verdict.values().length]));
      metrics.on(suppressed(client + "/32", Verdict.MX_SKIP.label()));
      metrics.on(new Event.Refused(ip(client), null, Event.Refusal.NO_LAYOUT_ENTRY));
    }
    Scrape after = scrape();
    assertThat(after.seriesOf("mxtrap_")).isEqualTo(before);
    assertThat(after.text).doesNotContain("203.0.");
  }

  @Test
  void anEntryOutsideTheLayoutOrAnUnknownReasonIsABugNotANewLabel() {
    assertThatThrownBy(
            () ->
                metrics.on(
                    new Event.Connected(ip("192.0.2.1"), entry(99, "192.0.2.99", Role.TRAP))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> metrics.on(suppressed("192.0.2.1/32", "because")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // --- helpers ----------------------------------------------------------------------------------

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-9);
  }

  private static LayoutEntry entry(int preference, String address, Role role) {
    return new LayoutEntry(preference, "mx" + preference + ".example.test", ip(address), 25, role);
  }

  private static InetAddress ip(String text) {
    return IpLiterals.parseAddress(text);
  }

  private Event.Decided decided(String client, LayoutEntry entry, Verdict verdict) {
    return new Event.Decided(
        new Contact(ip(client), entry.socketAddress(), entry, clock.instant()),
        new Decision(verdict, Action.ACCEPT, "test", null));
  }

  private Event.Suppressed suppressed(String prefix, String reason) {
    return new Event.Suppressed(
        Cidr.parse(prefix), clock.instant().plus(Duration.ofDays(1)), 1, reason);
  }

  private Scrape scrape() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    metrics.write(out);
    return new Scrape(out.toString(StandardCharsets.UTF_8));
  }

  /**
   * One sample line of the text format: {@code name{a="x",b="y"} value}. The real parser is in
   * MetricsIT; here the writer's own lines are read back.
   */
  private record Sample(String name, Map<String, String> labels, double value) {}

  private static final class Scrape {
    private static final Pattern LINE =
        Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)");
    private static final Pattern LABEL =
        Pattern.compile("([a-zA-Z_]+)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    final String text;
    final List<Sample> samples = new ArrayList<>();

    Scrape(String text) {
      this.text = text;
      for (String line : text.split("\n")) {
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        Matcher m = LINE.matcher(line);
        assertThat(m.matches()).as(line).isTrue();
        Map<String, String> labels = new LinkedHashMap<>();
        if (m.group(3) != null) {
          Matcher l = LABEL.matcher(m.group(3));
          while (l.find()) {
            labels.put(l.group(1), l.group(2));
          }
        }
        samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
      }
    }

    /** The one sample of {@code name} whose labels include the pairs given. */
    double value(String name, String... pairs) {
      List<Sample> found = series(name, pairs);
      assertThat(found).as(name + " " + List.of(pairs)).hasSize(1);
      return found.get(0).value();
    }

    List<Sample> series(String name, String... pairs) {
      return samples.stream()
          .filter(s -> s.name().equals(name))
          .filter(
              s -> {
                for (int i = 0; i < pairs.length; i += 2) {
                  if (!pairs[i + 1].equals(s.labels().get(pairs[i]))) {
                    return false;
                  }
                }
                return true;
              })
          .toList();
    }

    Set<String> names() {
      return samples.stream().map(Sample::name).collect(Collectors.toSet());
    }

    /** Every series (name and labels) whose name starts with {@code prefix}. */
    Set<String> seriesOf(String prefix) {
      return samples.stream()
          .filter(s -> s.name().startsWith(prefix))
          .map(s -> s.name() + s.labels())
          .collect(Collectors.toSet());
    }
  }
}
