package org.mxtrap.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.mxtrap.core.Addresses;
import org.slf4j.LoggerFactory;

class BoundedContactHistoryTest extends ContactHistoryContract {

  @Override
  protected ContactHistory open(
      int excusePrefixV4, int excusePrefixV6, int capacity, Duration window, int... preferences) {
    return new BoundedContactHistory(excusePrefixV4, excusePrefixV6, capacity, window, preferences);
  }

  @Test
  void anIpv4MappedAddressIsHeldAsTheIpv4NetworkItCarries() {
    var h = new BoundedContactHistory(24, 64, 100, WINDOW, 10, 30);
    h.record(mapped("192.0.2.1"), 10, T);
    h.record(ip("192.0.2.2"), 10, T);
    h.record(ip("198.51.100.7"), 10, T.plusSeconds(1));

    assertThat(h.size()).isEqualTo(2);
  }

  @Test
  void sinceIsInclusiveToTheSecond() {
    var h = new BoundedContactHistory(32, 128, 100, WINDOW, 10, 30);
    InetAddress x = ip("192.0.2.1");
    h.record(x, 10, T);

    assertThat(h.lastBelow(x, 30, T)).contains(T);
    assertThat(h.lastBelow(x, 30, T.plusSeconds(1))).isEmpty();
    assertThat(h.lastBelow(x, 30, T.plusMillis(999))).as("the client's favour").contains(T);
    assertThat(h.lastBelow(x, 30, T.minusNanos(1))).contains(T);
  }

  @Test
  void timesAreKeptToTheSecondAndTheLaterOneWins() {
    var h = new BoundedContactHistory(32, 128, 100, WINDOW, 10, 20);
    InetAddress x = ip("192.0.2.1");
    h.record(x, 10, T.plusMillis(700));
    h.record(x, 10, T.minusSeconds(60));
    h.record(x, 20, T.minusSeconds(60));

    assertThat(h.contacts(x)).isEqualTo(Map.of(10, T, 20, T.minusSeconds(60)));
  }

  @Test
  void evictsTheLeastRecentlyRecordedNetworkAtCapacity() {
    var h = new BoundedContactHistory(32, 128, 3, WINDOW, 10, 30);
    InetAddress a = ip("192.0.2.1");
    InetAddress b = ip("192.0.2.2");
    InetAddress c = ip("2001:db8::3");
    InetAddress d = ip("192.0.2.4");
    InetAddress e = ip("192.0.2.5");
    h.record(a, 10, T);
    h.record(b, 10, T.plusSeconds(1));
    h.record(c, 10, T.plusSeconds(2));
    h.record(a, 30, T.plusSeconds(3)); // a is now the newest
    assertThat(h.evictions()).isZero();

    h.record(d, 10, T.plusSeconds(4));
    assertThat(h.contacts(b)).isEmpty();
    assertThat(h.evictions()).isEqualTo(1);

    h.record(e, 10, T.plusSeconds(5));
    assertThat(h.contacts(c)).isEmpty();
    assertThat(h.contacts(a)).isEqualTo(Map.of(10, T, 30, T.plusSeconds(3)));
    assertThat(h.contacts(d)).isNotEmpty();
    assertThat(h.contacts(e)).isNotEmpty();
    assertThat(h.evictions()).isEqualTo(2);
    assertThat(h.size()).isEqualTo(3);
  }

  @Test
  void manyShardsHoldExactlyTheCapacityBetweenThem() {
    int capacity = 100_000;
    var h = new BoundedContactHistory(32, 128, capacity, WINDOW, 10);
    for (int i = 0; i < 2 * capacity; i++) {
      h.record(ip(0x0a000000 + i), 10, T); // one warning, not one per minute of contacts
    }
    assertThat(h.size()).isEqualTo(capacity);
    assertThat(h.evictions()).isEqualTo(capacity);
    assertThat(h.contacts(ip(0x0a000000 + 2 * capacity - 1))).isNotEmpty();
  }

  @Test
  void warnsOfEvictionsAtMostOncePerMinuteOfContactTime() {
    Logger logger = (Logger) LoggerFactory.getLogger("policy");
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    try {
      var h = new BoundedContactHistory(32, 128, 1, WINDOW, 10);
      h.record(ip("192.0.2.1"), 10, T);
      h.record(ip("192.0.2.2"), 10, T); // evicts: warns
      h.record(ip("192.0.2.3"), 10, T.plusSeconds(59)); // evicts
      h.record(ip("192.0.2.4"), 10, T.plusSeconds(60)); // evicts: warns
      h.record(ip("192.0.2.5"), 10, T.plusSeconds(61)); // evicts
    } finally {
      logger.detachAppender(appender);
    }
    assertThat(appender.list).hasSize(2).allMatch(e -> e.getLevel() == Level.WARN);
    assertThat(appender.list.get(0).getFormattedMessage())
        .startsWith("contact history full at its capacity of 1 networks: 1 evicted since start")
        .endsWith("Raise state.max_contacts");
    assertThat(appender.list.get(1).getFormattedMessage()).contains(": 3 evicted since start");
  }

  @Test
  void pruneDropsNetworksLastSeenBeforeTheLimit() {
    var h = new BoundedContactHistory(32, 128, 100, WINDOW, 10, 30);
    InetAddress old = ip("192.0.2.1");
    InetAddress mixed = ip("2001:db8::1");
    InetAddress fresh = ip("192.0.2.3");
    h.record(old, 10, T.minusSeconds(100));
    h.record(mixed, 10, T.minusSeconds(100));
    h.record(mixed, 30, T);
    h.record(fresh, 10, T);

    assertThat(h.prune(T.minusSeconds(100))).isZero();
    assertThat(h.prune(T)).isEqualTo(1);
    assertThat(h.contacts(old)).isEmpty();
    assertThat(h.contacts(mixed)).hasSize(2);
    assertThat(h.contacts(fresh)).hasSize(1);
    assertThat(h.size()).isEqualTo(2);
    assertThat(h.evictions()).as("pruning is not eviction").isZero();
  }

  @Test
  void maintainDropsTheNetworksLastSeenBeforeTheWindow() {
    var h = new BoundedContactHistory(32, 128, 100, Duration.ofHours(1), 10, 30);
    h.record(ip("192.0.2.1"), 10, T.minusSeconds(1));
    h.record(ip("192.0.2.2"), 10, T);

    h.maintain(T.plus(Duration.ofHours(1)));

    assertThat(h.contacts(ip("192.0.2.1"))).isEmpty();
    assertThat(h.contacts(ip("192.0.2.2"))).isEqualTo(Map.of(10, T));
    assertThat(h.size()).isEqualTo(1);
  }

  @Test
  void refusesWhatTheLayoutCannotHave() {
    var h = new BoundedContactHistory(32, 128, 100, WINDOW, 10, 30);
    assertThatThrownBy(() -> h.record(ip("192.0.2.1"), 20, T))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("preference 20 is not in the layout [10, 30]");
    assertThatThrownBy(() -> h.record(ip("192.0.2.1"), 10, Instant.EPOCH))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> h.record(ip("192.0.2.1"), 10, Instant.parse("2106-02-07T06:28:16Z")))
        .isInstanceOf(IllegalArgumentException.class);
    h.record(ip("192.0.2.2"), 10, Instant.ofEpochSecond(1)); // the first and last it can hold
    h.record(ip("192.0.2.3"), 10, Instant.parse("2106-02-07T06:28:15.9Z"));
    assertThat(h.contacts(ip("192.0.2.2"))).isEqualTo(Map.of(10, Instant.ofEpochSecond(1)));
    assertThat(h.contacts(ip("192.0.2.3")))
        .isEqualTo(Map.of(10, Instant.parse("2106-02-07T06:28:15Z")));
    assertThatThrownBy(() -> new BoundedContactHistory(33, 128, 100, WINDOW, 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BoundedContactHistory(32, 129, 100, WINDOW, 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BoundedContactHistory(32, 128, 0, WINDOW, 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BoundedContactHistory(32, 128, 100, Duration.ZERO, 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BoundedContactHistory(32, 128, 100, WINDOW))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BoundedContactHistory(32, 128, 100, WINDOW, 10, 65536))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aLayoutMayRepeatAPreference() {
    var h = new BoundedContactHistory(32, 128, 100, WINDOW, 30, 10, 10);
    h.record(ip("192.0.2.1"), 10, T);
    assertThat(h.lastBelow(ip("192.0.2.1"), 30, EARLY)).contains(T);
  }

  @Test
  void concurrentRecordsNeverLoseTheLatestTime() throws Exception {
    int[] preferences = {10, 20, 30};
    var h = new BoundedContactHistory(24, 64, 1000, WINDOW, preferences);
    List<InetAddress> clients = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      clients.add(ip(0xc0000200 + i)); // all in 192.0.2.0/24: one network, contended
      clients.add(ip("2001:db8:0:" + i + "::1"));
    }
    Map<String, Long> latest = new ConcurrentHashMap<>();
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    try (ExecutorService executor = Executors.newFixedThreadPool(threads)) {
      for (int t = 0; t < threads; t++) {
        long seed = t;
        done.add(
            executor.submit(
                () -> {
                  SplittableRandom random = new SplittableRandom(seed);
                  start.await();
                  for (int i = 0; i < 20_000; i++) {
                    int c = random.nextInt(clients.size());
                    int p = preferences[random.nextInt(preferences.length)];
                    long s = T.getEpochSecond() + random.nextInt(100_000);
                    h.record(clients.get(c), p, Instant.ofEpochSecond(s));
                    latest.merge(network(c) + "/" + p, s, Math::max);
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get();
      }
    }
    for (int c = 0; c < clients.size(); c++) {
      for (int p : preferences) {
        Long expected = latest.get(network(c) + "/" + p);
        assertThat(h.contacts(clients.get(c)).get(p))
            .isEqualTo(expected == null ? null : Instant.ofEpochSecond(expected));
      }
    }
    assertThat(h.size()).isEqualTo(9);
    assertThat(h.evictions()).isZero();
  }

  /** The network of {@code clients.get(c)} in the concurrency test. */
  private static String network(int c) {
    return c % 2 == 0 ? "v4" : "v6-" + c;
  }

  static InetAddress ip(int v4) {
    return Addresses.byAddress(
        new byte[] {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4});
  }
}
