package org.mxtrap.state.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxtrap.state.redis.HistoryRedisFixture.TIMEOUT;

import io.lettuce.core.api.sync.RedisCommands;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.Addresses;
import org.mxtrap.state.IdentityHistory.Sighting;

/** The identity history on a real redis-server: two hosts of a site share it, sites do not. */
class RedisIdentityHistoryIT {
  static final Instant T = Instant.parse("2026-06-03T10:00:00Z");
  static final Duration WINDOW = Duration.ofHours(2);
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

  static InetAddress ip(String s) {
    return Addresses.parse(s).orElseThrow();
  }

  private static RedisIdentityHistory host(String site) {
    return host(site, 1_000);
  }

  private static RedisIdentityHistory host(String site, int capacity) {
    return new RedisIdentityHistory(
        redis.connection.async(), HistoryRedisFixture.reach(), TIMEOUT, site, capacity, WINDOW);
  }

  @Test
  void anIdentityThePrimaryHostRecordedExcusesOnTheTrapHost() {
    String site = HistoryRedisFixture.prefix();
    var primary = host(site);
    var trap = host(site);
    var otherSite = host(HistoryRedisFixture.prefix());

    primary.record("ptr:pool.test", ip("198.51.100.7"), 10, T);
    primary.record("ptr:pool.test", ip("2001:db8::7"), 20, T.plusSeconds(1));

    assertThat(trap.lastBelow("ptr:pool.test", 30, T))
        .contains(new Sighting(ip("2001:db8::7"), T.plusSeconds(1)));
    assertThat(trap.lastBelow("ptr:pool.test", 20, T))
        .contains(new Sighting(ip("198.51.100.7"), T));
    assertThat(trap.lastBelow("ptr:pool.test", 10, T)).as("strictly lower").isEmpty();
    assertThat(trap.lastBelow("ptr:pool.test", 30, T.plusSeconds(2))).as("since").isEmpty();
    assertThat(trap.lastBelow("ptr:other.test", 30, T)).isEmpty();
    assertThat(otherSite.lastBelow("ptr:pool.test", 30, T)).isEmpty();
  }

  @Test
  void everyKeyExpiresAfterTheWindow() {
    String site = HistoryRedisFixture.prefix();
    host(site).record("mail:pool.test", ip("192.0.2.1"), 10, T);
    RedisCommands<String, String> r = redis.connection.sync();
    assertThat(r.keys(site + "*"))
        .containsExactlyInAnyOrder(site + "identity:mail:pool.test", site + "identities");
    for (String key : r.keys(site + "*")) {
      assertThat(r.pttl(key)).as(key).isBetween(WINDOW.toMillis() - 60_000, WINDOW.toMillis());
    }
  }

  @Test
  void aClientNamingEverNewSendersFillsTheCapacityNeverMore() {
    String site = HistoryRedisFixture.prefix();
    var h = host(site, 2);
    h.record("mail:one.test", ip("192.0.2.1"), 10, T);
    h.record("mail:two.test", ip("192.0.2.1"), 10, T.plusSeconds(1));
    h.record("mail:three.test", ip("192.0.2.1"), 10, T.plusSeconds(2));
    RedisCommands<String, String> r = redis.connection.sync();
    assertThat(r.zrange(site + "identities", 0, -1))
        .containsExactly("mail:two.test", "mail:three.test");
    assertThat(r.exists(site + "identity:mail:one.test")).isZero();
    assertThat(host(site).lastBelow("mail:one.test", 30, T)).isEmpty();
    assertThat(host(site).lastBelow("mail:three.test", 30, T)).isPresent();
  }

  @Test
  void aFieldSomeoneElseWroteIsIgnored() {
    String site = HistoryRedisFixture.prefix();
    redis.connection.sync().hset(site + "identity:ptr:pool.test", "junk", "not a sighting");
    redis.connection.sync().hset(site + "identity:ptr:pool.test", "10", "nonsense");
    assertThat(host(site).lastBelow("ptr:pool.test", 30, T)).isEmpty();
  }
}
