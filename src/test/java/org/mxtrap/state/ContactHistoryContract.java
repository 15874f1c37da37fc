package org.mxtrap.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;

/**
 * What every {@link ContactHistory} does, whatever keeps it: an implementation's test extends this
 * and says how to open an empty history. Time is what the tests pass in; nothing sleeps. Times are
 * whole seconds, the coarsest resolution an implementation may keep.
 */
public abstract class ContactHistoryContract {
  protected static final Instant T = Instant.parse("2025-06-03T10:00:00Z");
  protected static final Instant EARLY = T.minus(Duration.ofHours(24));
  protected static final Duration WINDOW = Duration.ofDays(1);

  /**
   * A new, empty history that reduces clients to networks of these lengths, holds up to {@code
   * capacity} networks, forgets contacts older than {@code window} and accepts {@code preferences}.
   */
  protected abstract ContactHistory open(
      int excusePrefixV4, int excusePrefixV6, int capacity, Duration window, int... preferences)
      throws Exception;

  protected static InetAddress ip(String literal) {
    return Addresses.parse(literal).orElseThrow();
  }

  /** {@code ::ffff:a.b.c.d} as an IPv6 address (InetAddress.getByAddress would give IPv4). */
  protected static InetAddress mapped(String v4) {
    byte[] b = new byte[16];
    b[10] = (byte) 0xff;
    b[11] = (byte) 0xff;
    System.arraycopy(ip(v4).getAddress(), 0, b, 12, 4);
    try {
      return Inet6Address.getByAddress(null, b, -1);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aContactExcusesItsIpv4NetworkOnly() throws Exception {
    var h = open(24, 64, 100, WINDOW, 10, 20, 30);
    h.record(ip("192.0.2.1"), 10, T);

    assertThat(h.lastBelow(ip("192.0.2.200"), 30, EARLY)).contains(T);
    assertThat(h.lastBelow(ip("192.0.2.1"), 30, EARLY)).contains(T);
    assertThat(h.lastBelow(ip("192.0.3.1"), 30, EARLY)).isEmpty();
    assertThat(h.contacts(ip("192.0.2.0"))).isEqualTo(Map.of(10, T));
  }

  @Test
  void aContactExcusesItsIpv6NetworkOnly() throws Exception {
    var h = open(32, 64, 100, WINDOW, 10, 20, 30);
    h.record(ip("2001:db8:1:2::1"), 20, T);

    assertThat(h.lastBelow(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), 30, EARLY)).contains(T);
    assertThat(h.lastBelow(ip("2001:db8:1:3::1"), 30, EARLY)).isEmpty();
    assertThat(h.lastBelow(ip("2001:db8:1::1"), 30, EARLY)).isEmpty();
  }

  @Test
  void fullLengthPrefixesKeepEachAddressApart() throws Exception {
    var h = open(32, 128, 100, WINDOW, 10, 30);
    h.record(ip("192.0.2.1"), 10, T);
    h.record(ip("2001:db8::1"), 10, T);

    assertThat(h.lastBelow(ip("192.0.2.1"), 30, EARLY)).contains(T);
    assertThat(h.lastBelow(ip("192.0.2.2"), 30, EARLY)).isEmpty();
    assertThat(h.lastBelow(ip("2001:db8::1"), 30, EARLY)).contains(T);
    assertThat(h.lastBelow(ip("2001:db8::2"), 30, EARLY)).isEmpty();
  }

  @Test
  void anIpv4MappedAddressIsItsIpv4Network() throws Exception {
    var h = open(24, 64, 100, WINDOW, 10, 30);
    h.record(mapped("192.0.2.1"), 10, T);
    h.record(ip("198.51.100.7"), 10, T.plusSeconds(1));

    assertThat(h.lastBelow(ip("192.0.2.99"), 30, EARLY)).contains(T);
    assertThat(h.lastBelow(mapped("198.51.100.200"), 30, EARLY)).contains(T.plusSeconds(1));
    // ::c000:201 carries 192.0.2.1 too, but is not mapped: an IPv6 address of its own
    assertThat(h.lastBelow(ip("::c000:201"), 30, EARLY)).isEmpty();
  }

  @Test
  void onlyStrictlyLowerPreferencesExcuse() throws Exception {
    var h = open(32, 128, 100, WINDOW, 10, 20, 30, 40);
    InetAddress x = ip("192.0.2.1");
    h.record(x, 20, T);

    assertThat(h.lastBelow(x, 10, EARLY)).isEmpty();
    assertThat(h.lastBelow(x, 20, EARLY)).isEmpty();
    assertThat(h.lastBelow(x, 25, EARLY)).contains(T);
    assertThat(h.lastBelow(x, 30, EARLY)).contains(T);

    h.record(x, 10, T.minusSeconds(5));
    h.record(x, 30, T.plusSeconds(5));
    assertThat(h.lastBelow(x, 30, EARLY)).as("the latest lower one").contains(T);
    assertThat(h.lastBelow(x, 40, EARLY)).contains(T.plusSeconds(5));
    assertThat(h.lastBelow(x, 20, EARLY)).contains(T.minusSeconds(5));
    assertThat(h.contacts(x))
        .containsExactly(
            Map.entry(10, T.minusSeconds(5)), Map.entry(20, T), Map.entry(30, T.plusSeconds(5)));
  }

  @Test
  void aContactCountsFromSinceOnAndTheLatestOneWins() throws Exception {
    var h = open(32, 128, 100, WINDOW, 10, 20, 30);
    InetAddress x = ip("192.0.2.1");
    h.record(x, 10, T);
    h.record(x, 10, T.minusSeconds(60)); // earlier: ignored
    h.record(x, 20, T.minusSeconds(60));

    assertThat(h.lastBelow(x, 30, T)).contains(T);
    assertThat(h.lastBelow(x, 30, T.plusSeconds(1))).isEmpty();
    assertThat(h.lastBelow(x, 20, T.minusSeconds(60))).contains(T);
    assertThat(h.contacts(x)).isEqualTo(Map.of(10, T, 20, T.minusSeconds(60)));
    assertThat(h.contacts(ip("192.0.2.2"))).isEmpty();
  }

  @Test
  void pastItsCapacityTheNetworkContactedLeastRecentlyIsEvictedAndCounted() throws Exception {
    var h = open(32, 128, 2, WINDOW, 10, 30);
    InetAddress a = ip("192.0.2.1");
    InetAddress b = ip("2001:db8::2");
    InetAddress c = ip("192.0.2.3");
    h.record(a, 10, T);
    h.record(b, 10, T.plusSeconds(1));
    h.record(a, 30, T.plusSeconds(2)); // a is now the newest
    assertThat(h.evictions()).isZero();

    h.record(c, 10, T.plusSeconds(3));
    assertThat(h.contacts(b)).isEmpty();
    assertThat(h.contacts(a)).isEqualTo(Map.of(10, T, 30, T.plusSeconds(2)));
    assertThat(h.contacts(c)).isEqualTo(Map.of(10, T.plusSeconds(3)));
    assertThat(h.evictions()).isEqualTo(1);
  }

  @Test
  void maintainKeepsEveryContactWithinTheWindow() throws Exception {
    var h = open(32, 128, 100, Duration.ofHours(1), 10, 30);
    Instant now = T.plus(Duration.ofHours(1));
    h.record(ip("192.0.2.1"), 10, T);
    h.record(ip("192.0.2.2"), 10, T.minusSeconds(1));
    h.record(ip("192.0.2.2"), 30, now);

    h.maintain(now);

    assertThat(h.lastBelow(ip("192.0.2.1"), 30, T)).contains(T);
    assertThat(h.contacts(ip("192.0.2.2"))).containsEntry(30, now);
    assertThat(h.evictions()).as("forgetting is not eviction").isZero();
  }

  @Test
  void concurrentRecordsKeepTheLatestContactOfEachPreference() throws Exception {
    int[] preferences = {10, 20, 30};
    var h = open(24, 64, 100, WINDOW, preferences);
    int threads = 8;
    int each = 300; // the last i of each preference: 297 (10), 298 (20), 299 (30)
    try (var executor = Executors.newFixedThreadPool(threads)) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(
            executor.submit(
                () -> {
                  for (int i = 0; i < each; i++) { // one network, from many addresses
                    InetAddress client = ip("192.0.2." + (i % 250));
                    h.record(client, preferences[i % 3], T.plusSeconds(i * threads + thread));
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    }
    long last = (long) (each - 1) * threads + threads - 1;
    assertThat(h.contacts(ip("192.0.2.77")))
        .containsExactly(
            Map.entry(10, T.plusSeconds(last - 2 * threads)),
            Map.entry(20, T.plusSeconds(last - threads)),
            Map.entry(30, T.plusSeconds(last)));
  }

  private static List<ContactHistory.Contact> each(ContactHistory h, Instant since) {
    List<ContactHistory.Contact> all = new ArrayList<>();
    h.each(since, all::add);
    return all;
  }

  private static ContactHistory.Contact contact(String network, int preference, Instant at) {
    return new ContactHistory.Contact(Cidr.parse(network), preference, at);
  }

  @Test
  void eachListsEveryContactSinceByNetworkAndPreference() throws Exception {
    var h = open(24, 64, 100, WINDOW, 10, 20, 30);
    h.record(ip("192.0.2.1"), 10, T);
    h.record(ip("192.0.2.9"), 30, T.plusSeconds(5));
    h.record(mapped("198.51.100.7"), 20, T.minusSeconds(60));
    h.record(ip("2001:db8:1:2::5"), 10, T);
    h.record(ip("203.0.113.1"), 10, EARLY.minusSeconds(1));

    assertThat(each(h, EARLY))
        .containsExactlyInAnyOrder(
            contact("192.0.2.0/24", 10, T),
            contact("192.0.2.0/24", 30, T.plusSeconds(5)),
            contact("198.51.100.0/24", 20, T.minusSeconds(60)),
            contact("2001:db8:1:2::/64", 10, T));
    assertThat(each(h, T)).hasSize(3);
    assertThat(each(open(24, 64, 100, WINDOW, 10), EARLY)).isEmpty();
  }

  @Test
  void whatEachListsRestoresIntoAnotherHistoryAsItWas() throws Exception {
    var from = open(24, 64, 100, WINDOW, 10, 20, 30);
    from.record(ip("192.0.2.1"), 10, T);
    from.record(ip("192.0.2.1"), 30, T.plusSeconds(1));
    from.record(ip("2001:db8:1:2::5"), 20, T);
    var to = open(24, 64, 100, WINDOW, 10, 20, 30);
    to.record(ip("192.0.2.1"), 10, T.plusSeconds(9)); // later than the export's: kept

    from.each(EARLY, to::restore);

    assertThat(to.contacts(ip("192.0.2.200")))
        .containsExactly(Map.entry(10, T.plusSeconds(9)), Map.entry(30, T.plusSeconds(1)));
    assertThat(to.contacts(ip("2001:db8:1:2::ffff"))).containsExactly(Map.entry(20, T));
    assertThat(to.lastBelow(ip("192.0.2.3"), 30, EARLY)).contains(T.plusSeconds(9));
  }

  @Test
  void restoreWidensANarrowerNetworkAndRefusesAWiderOne() throws Exception {
    var h = open(24, 64, 100, WINDOW, 10, 30);

    h.restore(contact("192.0.2.7/32", 10, T));
    assertThat(h.contacts(ip("192.0.2.200"))).containsExactly(Map.entry(10, T));

    assertThatThrownBy(() -> h.restore(contact("198.51.0.0/16", 10, T)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("198.51.0.0/16");
    assertThatThrownBy(() -> h.restore(contact("2001:db8::/48", 10, T)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> h.restore(contact("198.51.100.0/24", 20, T)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(h.contacts(ip("198.51.100.1"))).isEmpty();
  }
}
