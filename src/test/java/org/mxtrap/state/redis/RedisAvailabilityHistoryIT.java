package org.mxtrap.state.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.mxtrap.state.redis.HistoryRedisFixture.TIMEOUT;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.state.AvailabilityHistory;
import org.mxtrap.state.AvailabilityHistory.Outage;
import org.mxtrap.state.AvailabilityHistoryContract;

/** The availability history on a real redis-server: the contract, two hosts, outages of Redis. */
class RedisAvailabilityHistoryIT extends AvailabilityHistoryContract {
  @TempDir static Path dir;
  private static HistoryRedisFixture redis;

  /** The key prefix of the current test's site. */
  private String site = "";

  @BeforeAll
  static void startRedis() throws Exception {
    redis = HistoryRedisFixture.start(dir);
  }

  @AfterAll
  static void stopRedis() throws Exception {
    redis.close();
  }

  @Override
  protected AvailabilityHistory open(Instant now) {
    site = HistoryRedisFixture.prefix();
    return host(redis, now);
  }

  @Override
  protected AvailabilityHistory reopen(AvailabilityHistory history, Instant now) {
    history.close();
    return host(redis, now);
  }

  /**
   * One more host of the current test's site, opening at {@code now}, serving {@code served} (no
   * entry when none is given).
   */
  private RedisAvailabilityHistory host(HistoryRedisFixture r, Instant now, LayoutEntry... served) {
    return RedisAvailabilityHistory.open(
        r.connection.async(),
        HistoryRedisFixture.reach(),
        TIMEOUT,
        site,
        LAYOUT,
        Set.of(served),
        now,
        DAY);
  }

  @Test
  void anEntryWhoseOwnHostFallsSilentIsUnavailableFromItsLastWordUntilItSpeaksAgain() {
    site = HistoryRedisFixture.prefix();
    var primaryHost = host(redis, T0, PRIMARY);
    var trapHost = host(redis, T0, TRAP);
    primaryHost.up(PRIMARY, minutes(1));
    primaryHost.maintain(minutes(2));
    trapHost.maintain(minutes(2).plus(RedisAvailabilityHistory.SILENT));
    assertThat(trapHost.outages(PRIMARY, minutes(2)))
        .as("heard from within the bound: available")
        .isEmpty();

    Instant later = minutes(2).plus(RedisAvailabilityHistory.SILENT).plusSeconds(1);
    trapHost.maintain(later); // the primary's host is cut off from Redis, or stopped
    assertThat(trapHost.outages(PRIMARY, minutes(2)))
        .singleElement()
        .satisfies(o -> assertThat(o.from()).isEqualTo(minutes(2)))
        .satisfies(o -> assertThat(o.to()).isNull())
        .satisfies(o -> assertThat(o.reason()).contains("its own host has written nothing"));
    assertThat(trapHost.outages(BACKUP, minutes(2)))
        .as("an entry no mxtrap speaks for is judged by the probes alone")
        .extracting(Outage::reason)
        .containsExactly("not observed yet");

    primaryHost.maintain(later.plusSeconds(1));
    assertThat(trapHost.outages(PRIMARY, minutes(2))).as("it speaks again").isEmpty();

    primaryHost.close(); // stopped cleanly: it speaks for its entry no more
    trapHost.maintain(later.plus(Duration.ofMinutes(10)));
    assertThat(trapHost.outages(PRIMARY, minutes(2))).isEmpty();
  }

  private static Instant minutes(long n) {
    return T0.plus(Duration.ofMinutes(n));
  }

  @Test
  void aTrapHostSeesTheOutagesThePrimaryHostRecorded() {
    site = HistoryRedisFixture.prefix();
    var primaryHost = host(redis, T0);
    var trapHost = host(redis, minutes(1));

    primaryHost.up(PRIMARY, minutes(2));
    primaryHost.down(PRIMARY, minutes(10), "connection limit reached");

    assertThat(trapHost.since()).isEqualTo(T0);
    assertThat(trapHost.outages(PRIMARY, T0))
        .extracting(Outage::from, Outage::to, Outage::reason)
        .containsExactly(
            tuple(T0, minutes(2), "not observed yet"),
            tuple(minutes(10), null, "connection limit reached"));
    primaryHost.up(PRIMARY, minutes(11));
    assertThat(trapHost.outages(PRIMARY, minutes(5)))
        .containsExactly(new Outage(minutes(10), minutes(11), "connection limit reached"));
  }

  @Test
  void everyKeyExpiresAfterTheRetentionUnlessKeptAlive() {
    site = HistoryRedisFixture.prefix();
    var h = host(redis, T0);
    h.up(PRIMARY, minutes(1));
    h.down(BACKUP, minutes(1), "refused");

    RedisCommands<String, String> r = redis.connection.sync();
    assertThat(r.keys(site + "*"))
        .containsExactlyInAnyOrder(
            site + "{availability}:history",
            site + "{availability}:entry:10:127.0.0.1:2525",
            site + "{availability}:entry:20:127.0.0.1:2528");
    for (String key : r.keys(site + "*")) {
      assertThat(r.pttl(key)).as(key).isBetween(DAY.toMillis() - 60_000, DAY.toMillis());
    }
    assertThat(r.lrange(site + "{availability}:entry:10:127.0.0.1:2525", 0, -1))
        .containsExactly(T0.toEpochMilli() + " " + minutes(1).toEpochMilli() + " not observed yet");
  }

  @Test
  void whatCouldNotBeWrittenWhileRedisHungIsWrittenAtTheNextHeartbeat() throws Exception {
    site = HistoryRedisFixture.prefix();
    var h = host(redis, T0);
    h.up(PRIMARY, minutes(1));
    try (StatefulRedisConnection<String, String> admin = redis.client.connect()) {
      // Every client's commands wait for 3 s, this one's too, as behind a dead link.
      admin.sync().clientPause(3_000);
    }
    long start = System.nanoTime();
    assertThat(h.outages(PRIMARY, minutes(2)))
        .as("a partial view: never available")
        .singleElement()
        .satisfies(o -> assertThat(o.from()).isEqualTo(minutes(2)))
        .satisfies(o -> assertThat(o.to()).isNull());
    h.down(PRIMARY, minutes(3), "refused");
    h.up(PRIMARY, minutes(4));
    h.maintain(minutes(5));
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isLessThan(TIMEOUT.multipliedBy(4).plusMillis(500));

    HistoryRedisFixture.await(
        Duration.ofSeconds(10),
        () -> {
          h.maintain(minutes(6));
          return h.outages(PRIMARY, minutes(2))
              .equals(List.of(new Outage(minutes(3), minutes(4), "refused")));
        });
  }

  @Test
  void anUpThatCouldNotBeWrittenIsNotWrittenAgainOverALaterDown() throws Exception {
    site = HistoryRedisFixture.prefix();
    var h = host(redis, T0);
    try (StatefulRedisConnection<String, String> admin = redis.client.connect()) {
      admin.sync().clientPause(1_000);
    }
    h.up(PRIMARY, minutes(4)); // past its deadline: kept to be written again
    redis.connection.sync().ping(); // answered once the pause is over
    h.down(PRIMARY, minutes(5), "refused");

    h.maintain(minutes(6));

    assertThat(h.outages(PRIMARY, minutes(1)))
        .extracting(Outage::to)
        .last()
        .as("still down: the up came before the down")
        .isNull();
  }

  @Test
  void aRedisThatComesBackEmptyStartsAFreshHistoryWithWhatThisHostLastSaw(@TempDir Path own)
      throws Exception {
    try (HistoryRedisFixture r = HistoryRedisFixture.start(own)) {
      site = HistoryRedisFixture.prefix();
      var h = host(r, T0);
      h.up(PRIMARY, minutes(1));
      h.maintain(minutes(2));

      r.server.stop();
      long start = System.nanoTime();
      assertThat(h.outages(PRIMARY, minutes(2)))
          .singleElement()
          .satisfies(o -> assertThat(o.reason()).contains("shared availability unknown"));
      h.down(BACKUP, minutes(3), "refused");
      h.maintain(minutes(3));
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isLessThan(TIMEOUT.multipliedBy(3).plusMillis(500));

      r.server.restart(); // empty
      HistoryRedisFixture.await(
          Duration.ofSeconds(30),
          () -> {
            h.maintain(minutes(10));
            return h.since().equals(minutes(10));
          });
      assertThat(h.outages(PRIMARY, minutes(10)))
          .as("this host saw it up last: available from the fresh start on")
          .containsExactly(new Outage(minutes(10), minutes(10), "not observed yet"));
      assertThat(h.outages(BACKUP, minutes(10))).singleElement().extracting(Outage::to).isNull();
    }
  }
}
