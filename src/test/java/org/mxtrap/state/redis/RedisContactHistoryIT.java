package org.mxtrap.state.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxtrap.state.redis.HistoryRedisFixture.TIMEOUT;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.Addresses;
import org.mxtrap.state.ContactHistory;
import org.mxtrap.state.ContactHistoryContract;

/** The contact history on a real redis-server: the contract, two hosts on one Redis, outages. */
class RedisContactHistoryIT extends ContactHistoryContract {
  @TempDir static Path dir;
  private static HistoryRedisFixture redis;

  @BeforeAll
  static void startRedis() throws Exception {
    redis = HistoryRedisFixture.start(dir);
  }

  @AfterAll
  static void stopRedis() throws Exception {
    redis.close();
  }

  @Override
  protected ContactHistory open(
      int excusePrefixV4, int excusePrefixV6, int capacity, Duration window, int... preferences) {
    return new RedisContactHistory(
        redis.connection.async(),
        HistoryRedisFixture.reach(),
        TIMEOUT,
        HistoryRedisFixture.prefix(),
        excusePrefixV4,
        excusePrefixV6,
        capacity,
        window,
        preferences);
  }

  /** A host's history of a site: /24 and /64 networks, a million of them at most. */
  private static RedisContactHistory history(
      HistoryRedisFixture r, String site, Duration window, int... preferences) {
    return new RedisContactHistory(
        r.connection.async(),
        HistoryRedisFixture.reach(),
        TIMEOUT,
        site,
        24,
        64,
        1_000_000,
        window,
        preferences);
  }

  @Test
  void aContactThePrimaryRecordedExcusesTheClientOnTheBackupHost() {
    String site = HistoryRedisFixture.prefix();
    var primary = history(redis, site, WINDOW, 10, 20, 30);
    var backup = history(redis, site, WINDOW, 10, 20, 30);
    var otherSite = history(redis, HistoryRedisFixture.prefix(), WINDOW, 10, 20, 30);

    primary.record(ip("192.0.2.1"), 10, T);

    assertThat(backup.lastBelow(ip("192.0.2.77"), 20, EARLY)).contains(T);
    assertThat(backup.contacts(ip("192.0.2.77"))).isEqualTo(Map.of(10, T));
    assertThat(otherSite.lastBelow(ip("192.0.2.77"), 20, EARLY)).isEmpty();
  }

  @Test
  void everyKeyExpiresAfterTheWindow() {
    String site = HistoryRedisFixture.prefix();
    Duration window = Duration.ofHours(2);
    var h = history(redis, site, window, 10, 30);
    h.record(ip("2001:db8:1:2::1"), 10, T);
    h.record(ip("192.0.2.1"), 30, T);

    RedisCommands<String, String> r = redis.connection.sync();
    assertThat(r.keys(site + "*"))
        .containsExactlyInAnyOrder(
            site + "contacts", site + "contact:2001:db8:1:2::/64", site + "contact:192.0.2.0/24");
    for (String key : r.keys(site + "*")) {
      assertThat(r.pttl(key)).as(key).isBetween(window.toMillis() - 60_000, window.toMillis());
    }
  }

  @Test
  void maintainDropsTheNetworksLastSeenBeforeTheWindowFromTheIndex() {
    String site = HistoryRedisFixture.prefix();
    var h = history(redis, site, Duration.ofHours(1), 10, 30);
    h.record(ip("192.0.2.1"), 10, T.minusSeconds(1));
    h.record(ip("198.51.100.1"), 10, T);

    h.maintain(T.plus(Duration.ofHours(1)));

    assertThat(redis.connection.sync().zrange(site + "contacts", 0, -1))
        .containsExactly("198.51.100.0/24");
  }

  @Test
  void aRedisThatDoesNotAnswerCostsAtMostTheDeadlineAndTheHostServesOnItsOwnContacts()
      throws Exception {
    String site = HistoryRedisFixture.prefix();
    var primary = history(redis, site, WINDOW, 10, 20, 30);
    var backup = history(redis, site, WINDOW, 10, 20, 30);
    InetAddress x = ip("192.0.2.1");
    InetAddress y = ip("198.51.100.1");
    primary.record(x, 10, T);
    backup.record(y, 10, T);

    try (StatefulRedisConnection<String, String> admin = redis.client.connect()) {
      // Every client's commands wait for 3 s, this one's too, as behind a dead link.
      admin.sync().clientPause(3_000);
    }
    long start = System.nanoTime();
    primary.record(x, 20, T.plusSeconds(1)); // recorded locally
    assertThat(backup.lastBelow(x, 30, EARLY)).as("the primary's, not known here").isEmpty();
    assertThat(backup.lastBelow(y, 30, EARLY)).as("its own").contains(T);
    assertThat(primary.contacts(x)).isEqualTo(Map.of(10, T, 20, T.plusSeconds(1)));
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isLessThan(TIMEOUT.multipliedBy(4).plusMillis(500));

    HistoryRedisFixture.await(
        Duration.ofSeconds(10), () -> backup.lastBelow(x, 20, EARLY).isPresent());
  }

  @Test
  void aStoppedRedisNeitherHangsNorFailsTheCallerAndIsUsedAgainOnceBack(@TempDir Path own)
      throws Exception {
    try (HistoryRedisFixture r = HistoryRedisFixture.start(own)) {
      String site = HistoryRedisFixture.prefix();
      var primary = history(r, site, WINDOW, 10, 20, 30);
      var backup = history(r, site, WINDOW, 10, 20, 30);
      InetAddress x = ip("192.0.2.1");

      r.server.stop();
      long start = System.nanoTime();
      primary.record(x, 10, T);
      assertThat(primary.lastBelow(x, 30, EARLY)).contains(T);
      assertThat(backup.lastBelow(x, 30, EARLY)).isEmpty();
      primary.maintain(T);
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isLessThan(TIMEOUT.multipliedBy(3).plusMillis(500));

      r.server.restart(); // empty: the contact made while it was away is this host's alone
      HistoryRedisFixture.await(
          Duration.ofSeconds(30),
          () -> {
            primary.record(ip("192.0.2.2"), 10, T.plusSeconds(1));
            return backup.lastBelow(x, 30, EARLY).isPresent();
          });
      assertThat(backup.lastBelow(x, 30, EARLY)).contains(T.plusSeconds(1));
    }
  }

  /**
   * The memory per network in Redis, for the class comment: {@code INFO memory} before and after
   * 100,000 IPv4 networks, then a second preference of each.
   */
  @Test
  void aNetworkTakesAFewHundredBytesInRedis() {
    String site = HistoryRedisFixture.prefix();
    var h = history(redis, site, WINDOW, 10, 20);
    int n = 100_000;
    long before = usedMemory();
    for (int i = 0; i < n; i++) {
      h.record(network(i), 10, T);
    }
    long one = usedMemory();
    for (int i = 0; i < n; i++) {
      h.record(network(i), 20, T);
    }
    long two = usedMemory();
    System.out.printf(
        "contact history in Redis: %d bytes per network with one preference, %d more for a"
            + " second%n",
        (one - before) / n, (two - one) / n);
    assertThat((one - before) / n).isLessThan(400);
    redis.connection.sync().del(site + "contacts");
  }

  /** The i-th /24 of 10.0.0.0/8. */
  private static InetAddress network(int i) {
    return Addresses.byAddress(new byte[] {10, (byte) (i >>> 8), (byte) i, 1});
  }

  private static long usedMemory() {
    String info = redis.connection.sync().info("memory");
    return info.lines()
        .filter(l -> l.startsWith("used_memory:"))
        .mapToLong(l -> Long.parseLong(l.substring("used_memory:".length()).strip()))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void contactsRecordedWhileRedisWasAwayAreWrittenWhenItAnswersAgain(@TempDir Path own)
      throws Exception {
    try (HistoryRedisFixture r = HistoryRedisFixture.start(own)) {
      String site = HistoryRedisFixture.prefix();
      Reachability reach = HistoryRedisFixture.reach();
      var primary =
          new RedisContactHistory(
              r.connection.async(), reach, TIMEOUT, site, 24, 64, 1_000, WINDOW, 10, 20, 30);
      var trap = history(r, site, WINDOW, 10, 20, 30);
      r.server.stop();

      primary.record(ip("192.0.2.1"), 10, T);
      assertThat(primary.lastBelow(ip("192.0.2.1"), 30, EARLY))
          .as("this host knows it")
          .contains(T);
      assertThat(reach.partial()).hasValueSatisfying(p -> assertThat(p).contains("since"));

      r.server.restart(); // empty
      HistoryRedisFixture.await(Duration.ofSeconds(20), () -> reach.partial().isEmpty());
      assertThat(trap.lastBelow(ip("192.0.2.77"), 30, EARLY))
          .as("written when Redis answered again")
          .contains(T);
    }
  }
}
