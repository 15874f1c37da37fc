package org.mxtrap.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;

/**
 * What every {@link SuppressionStore} does, whatever keeps it: an implementation's test extends
 * this and says how to open a store and how to open it again on the same data. Time is what the
 * tests pass in; nothing sleeps.
 */
public abstract class SuppressionStoreContract {
  protected static final Instant T0 = Instant.parse("2025-06-03T10:00:00Z");
  protected static final Duration HOUR = Duration.ofHours(1);
  protected static final Duration MAX = Duration.ofHours(4);
  protected static final Cidr HOST = Cidr.parse("192.0.2.7");
  protected static final Cidr NET = Cidr.parse("192.0.2.0/24");

  protected SuppressionStore store;

  /** A new, empty store. */
  protected abstract SuppressionStore open() throws Exception;

  /** Closes {@code store} and opens the same data again, as after a restart. */
  protected abstract SuppressionStore reopen(SuppressionStore store) throws Exception;

  @BeforeEach
  void openStore() throws Exception {
    store = open();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  protected static InetAddress ip(String text) {
    return Addresses.parse(text).orElseThrow();
  }

  protected Suppression offend(Cidr prefix, Instant now) {
    return store.offend(prefix, now, HOUR, MAX, "mx-skip", "trap 30 at " + now);
  }

  @Test
  void aFirstOffenceLastsTheBaseDurationAndEndsExactlyAtUntil() {
    Suppression s = offend(HOST, T0);

    assertThat(s)
        .isEqualTo(new Suppression(HOST, T0, T0.plus(HOUR), "mx-skip", 1, "trap 30 at " + T0));
    assertThat(store.find(ip("192.0.2.7"), T0)).contains(s);
    assertThat(store.find(ip("192.0.2.7"), T0.plus(HOUR).minusNanos(1))).contains(s);
    assertThat(store.find(ip("192.0.2.7"), T0.plus(HOUR))).isEmpty();
    assertThat(store.find(ip("192.0.2.7"), T0.minusNanos(1))).isEmpty();
    assertThat(store.find(ip("192.0.2.8"), T0)).isEmpty();
  }

  @Test
  void repeatOffencesDoubleTheDurationUpToTheMaximum() {
    Instant t = T0;
    List<Duration> durations = new ArrayList<>();
    List<Integer> offences = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Suppression s = offend(HOST, t);
      durations.add(Duration.between(s.since(), s.until()));
      offences.add(s.offences());
      t = s.until().plus(Duration.ofDays(1)); // ended, but within the repeat window
    }

    assertThat(durations)
        .containsExactly(HOUR, HOUR.multipliedBy(2), MAX, MAX, MAX); // 1h, 2h, 4h, capped
    assertThat(offences).containsExactly(1, 2, 3, 4, 5);
  }

  @Test
  void anOffenceAWholeRepeatWindowAfterTheEndCountsAsAFirstOne() {
    Suppression first = offend(HOST, T0);
    Instant windowEnd = first.until().plus(SuppressionStore.REPEAT_WINDOW);

    Suppression justWithin = offend(HOST, windowEnd.minusNanos(1));
    assertThat(Duration.between(justWithin.since(), justWithin.until()))
        .isEqualTo(HOUR.multipliedBy(2));
    assertThat(justWithin.offences()).isEqualTo(2);

    Instant later = justWithin.until().plus(SuppressionStore.REPEAT_WINDOW);
    Suppression again = offend(HOST, later);
    assertThat(again)
        .isEqualTo(
            new Suppression(HOST, later, later.plus(HOUR), "mx-skip", 1, "trap 30 at " + later));
  }

  @Test
  void anOffenceWhileSuppressedExtendsFromNowButNeverShortens() {
    Suppression first = offend(HOST, T0);
    Instant t = T0.plus(Duration.ofMinutes(30));

    Suppression second = offend(HOST, t);
    assertThat(second.since()).isEqualTo(t);
    assertThat(second.until()).isEqualTo(t.plus(HOUR.multipliedBy(2)));
    assertThat(second.offences()).isEqualTo(2);
    assertThat(first.until()).isBefore(second.until());

    Instant end = T0.plus(Duration.ofDays(30));
    store.add(NET, T0, Duration.ofDays(30), "manual", "operator");
    Suppression net = store.offend(NET, t, HOUR, MAX, "mx-skip", "trap");
    assertThat(net.until()).isEqualTo(end); // doubling 30 days caps at 4h, which ends earlier
    assertThat(net.since()).isEqualTo(t);
    assertThat(net.offences()).isEqualTo(2);
  }

  @Test
  void aPrefixCoversItsAddressesAndTheirIpv4MappedForms() {
    store.add(NET, T0, HOUR, "manual", "operator");
    store.add(Cidr.parse("2001:db8:1::/48"), T0, HOUR, "manual", "operator");

    assertThat(store.find(ip("192.0.2.0"), T0)).isPresent();
    assertThat(store.find(ip("192.0.2.255"), T0)).isPresent();
    assertThat(store.find(ip("::ffff:192.0.2.77"), T0)).isPresent();
    assertThat(store.find(ip("192.0.3.1"), T0)).isEmpty();
    assertThat(store.find(ip("192.0.1.255"), T0)).isEmpty();
    assertThat(store.find(ip("::c000:24d"), T0)).isEmpty(); // IPv4-compatible is not mapped
    assertThat(store.find(ip("2001:db8:1:ffff::1"), T0)).isPresent();
    assertThat(store.find(ip("2001:db8:2::1"), T0)).isEmpty();
  }

  @Test
  void aHostSuppressedAsAMappedAddressIsFoundByItsIpv4Form() {
    store.add(Cidr.parse("::ffff:192.0.2.7"), T0, HOUR, "manual", "operator");

    assertThat(store.find(ip("192.0.2.7"), T0))
        .get()
        .extracting(Suppression::prefix)
        .isEqualTo(HOST);
    assertThat(store.find(ip("::ffff:192.0.2.7"), T0)).isPresent();
  }

  @Test
  void whenSeveralCoverAnAddressTheOneThatEndsLastWinsAndATieGoesToTheLongestPrefix() {
    store.add(NET, T0, HOUR, "manual", "net");
    store.add(HOST, T0, HOUR.multipliedBy(2), "manual", "host");
    assertThat(store.find(ip("192.0.2.7"), T0))
        .get()
        .extracting(Suppression::evidence)
        .isEqualTo("host");

    store.add(NET, T0, HOUR.multipliedBy(3), "manual", "net");
    assertThat(store.find(ip("192.0.2.7"), T0))
        .get()
        .extracting(Suppression::evidence)
        .isEqualTo("net");

    store.add(HOST, T0, HOUR.multipliedBy(3), "manual", "host");
    assertThat(store.find(ip("192.0.2.7"), T0))
        .get()
        .extracting(Suppression::evidence)
        .isEqualTo("host");

    store.remove(HOST, T0.plus(HOUR));
    assertThat(store.find(ip("192.0.2.7"), T0.plus(HOUR)))
        .get()
        .extracting(Suppression::evidence)
        .isEqualTo("net"); // an ended one hides nothing
  }

  @Test
  void addSuppressesForExactlyTheDurationGivenAndCountsOn() {
    offend(HOST, T0);

    Suppression s =
        store.add(
            HOST,
            T0.plus(Duration.ofMinutes(10)),
            Duration.ofMinutes(5),
            "manual",
            "operator: seen on the honeypot");

    assertThat(s)
        .isEqualTo(
            new Suppression(
                HOST,
                T0.plus(Duration.ofMinutes(10)),
                T0.plus(Duration.ofMinutes(15)),
                "manual",
                2,
                "operator: seen on the honeypot"));
    assertThat(store.find(ip("192.0.2.7"), T0.plus(Duration.ofMinutes(15)))).isEmpty();
    assertThat(store.add(NET, T0, HOUR, "manual", "x").offences()).isEqualTo(1);
  }

  @Test
  void removeEndsTheSuppressionOfExactlyThatPrefixAndKeepsItsHistory() {
    store.add(NET, T0, HOUR, "manual", "net");
    Suppression host = offend(HOST, T0);
    Instant t = T0.plus(Duration.ofMinutes(10));

    assertThat(store.remove(Cidr.parse("192.0.2.8"), t)).isFalse();
    assertThat(store.remove(Cidr.parse("192.0.0.0/16"), t)).isFalse();
    assertThat(store.remove(HOST, t)).isTrue();
    assertThat(store.remove(HOST, t)).isFalse();

    assertThat(store.find(ip("192.0.2.7"), t)).get().extracting(Suppression::prefix).isEqualTo(NET);
    assertThat(store.remove(NET, t)).isTrue();
    assertThat(store.find(ip("192.0.2.7"), t)).isEmpty();
    assertThat(store.history(ip("192.0.2.7")))
        .containsExactlyInAnyOrder(
            new Suppression(HOST, T0, t, "mx-skip", 1, host.evidence()),
            new Suppression(NET, T0, t, "manual", 1, "net"));
    assertThat(store.remove(NET, T0.plus(HOUR))).isFalse();
  }

  @Test
  void activeListsWhatIsInForceNowByPrefix() {
    store.add(Cidr.parse("2001:db8::1"), T0, HOUR, "manual", "v6");
    store.add(Cidr.parse("198.51.100.9"), T0, HOUR, "manual", "later");
    store.add(NET, T0, HOUR, "manual", "net");
    store.add(HOST, T0, HOUR.multipliedBy(2), "manual", "host");
    store.add(Cidr.parse("203.0.113.1"), T0.plus(HOUR), HOUR, "manual", "not yet");

    assertThat(store.active(T0))
        .extracting(s -> s.prefix().toString())
        .containsExactly("192.0.2.0/24", "192.0.2.7/32", "198.51.100.9/32", "2001:db8::1/128");
    assertThat(store.active(T0.plus(HOUR)))
        .extracting(s -> s.prefix().toString())
        .containsExactly("192.0.2.7/32", "203.0.113.1/32");
    assertThat(store.active(T0.plus(Duration.ofDays(1)))).isEmpty();
    for (Instant at : List.of(T0, T0.plus(HOUR), T0.plus(Duration.ofDays(1)))) {
      assertThat(store.count(at)).as("count at %s", at).isEqualTo(store.active(at).size());
    }
  }

  @Test
  void historyHasEveryStoredSuppressionCoveringTheAddressActiveOrNot() {
    Suppression net = store.add(NET, T0, HOUR, "manual", "net");
    Suppression host = offend(HOST, T0.plus(Duration.ofDays(1)));
    store.add(Cidr.parse("192.0.2.8"), T0, HOUR, "manual", "neighbour");

    assertThat(store.history(ip("192.0.2.7"))).containsExactlyInAnyOrder(host, net);
    assertThat(store.history(ip("::ffff:192.0.2.7"))).containsExactlyInAnyOrder(host, net);
    assertThat(store.history(ip("192.0.3.7"))).isEmpty();
  }

  @Test
  void everyChangeSurvivesARestart() throws Exception {
    Instant odd = T0.plusNanos(123_456_789);
    Suppression host = offend(HOST, odd);
    Suppression again = offend(HOST, odd.plusSeconds(60));
    Suppression net = store.add(NET, T0, HOUR, "manual", "operator, with \"quotes\" and ünïcödé");
    Suppression v6 = store.add(Cidr.parse("2001:db8::/32"), T0, HOUR, "manual", "v6");
    store.remove(Cidr.parse("2001:db8::/32"), T0.plusSeconds(1));

    store = reopen(store);

    assertThat(host.offences()).isEqualTo(1);
    assertThat(store.find(ip("192.0.2.7"), odd.plusSeconds(60))).contains(again);
    assertThat(store.history(ip("192.0.2.7"))).containsExactlyInAnyOrder(again, net);
    assertThat(store.history(ip("2001:db8::5")))
        .containsExactly(new Suppression(v6.prefix(), T0, T0.plusSeconds(1), "manual", 1, "v6"));
    assertThat(store.active(T0.plusSeconds(2))).containsExactly(net);
    assertThat(offend(HOST, again.until()).offences()).isEqualTo(3);
  }

  @Test
  void maintainForgetsNothingThatStillCounts() {
    Suppression ended = store.add(HOST, T0, HOUR, "manual", "old");
    Suppression active = store.add(NET, T0, Duration.ofDays(30), "manual", "long");
    Instant now = ended.until().plus(SuppressionStore.REPEAT_WINDOW).minusNanos(1);

    store.maintain(now);

    assertThat(store.history(ip("192.0.2.7"))).containsExactlyInAnyOrder(ended, active);
    assertThat(store.active(now)).containsExactly(active);
    assertThat(offend(HOST, now).offences()).isEqualTo(2);
  }

  @Test
  void concurrentOffencesOfOnePrefixAreCountedOneByOne() throws Exception {
    int n = 20;
    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Suppression>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        all.add(executor.submit(() -> offend(HOST, T0)));
      }
      for (Future<Suppression> f : all) {
        f.get();
      }
    }
    assertThat(store.find(ip("192.0.2.7"), T0))
        .get()
        .extracting(Suppression::offences)
        .isEqualTo(n);
  }

  @Test
  void storedListsEverySuppressionThatStillCountsActiveOrEndedByPrefix() {
    Suppression gone = store.add(ip6Host(), T0, HOUR, "manual", "gone");
    Suppression ended = store.add(HOST, T0.plus(Duration.ofDays(1)), HOUR, "manual", "ended");
    Suppression active = store.add(NET, T0, Duration.ofDays(30), "manual", "active");
    Instant now = gone.until().plus(SuppressionStore.REPEAT_WINDOW);

    assertThat(store.stored(now)).containsExactly(active, ended);
    assertThat(store.stored(T0)).containsExactly(active, ended, gone);
  }

  @Test
  void restoreKeepsTheLaterEndWithTheLargerOffenceCount() throws Exception {
    Suppression held = store.add(HOST, T0, HOUR, "manual", "held");
    Suppression repeat = new Suppression(HOST, T0, T0.plus(MAX), "mx-skip", 3, "trap 30");
    Suppression shorter = new Suppression(NET, T0, T0.plus(HOUR), "mx-skip", 5, "shorter");
    store.add(NET, T0, MAX, "manual", "longer");

    assertThat(store.restore(repeat, T0)).contains(repeat);
    assertThat(store.restore(shorter, T0))
        .contains(new Suppression(NET, T0, T0.plus(MAX), "manual", 5, "longer"));
    assertThat(store.restore(held, T0)).contains(repeat); // the stored one ends later

    store = reopen(store);
    assertThat(store.find(ip("192.0.2.7"), T0)).contains(repeat);
    assertThat(offend(HOST, T0.plus(MAX)).offences()).isEqualTo(4);
  }

  @Test
  void restoreOfASuppressionThatCountsForNothingStoresNothing() {
    Suppression old = new Suppression(HOST, T0, T0.plus(HOUR), "mx-skip", 2, "old");
    Instant now = old.until().plus(SuppressionStore.REPEAT_WINDOW);

    assertThat(store.restore(old, now)).isEmpty();
    assertThat(store.history(ip("192.0.2.7"))).isEmpty();
    assertThat(store.restore(old, now.minusNanos(1))).contains(old);
  }

  private static Cidr ip6Host() {
    return Cidr.parse("2001:db8::7");
  }
}
