package org.mxtrap.state.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.it.LoopbackRedis;
import org.mxtrap.state.Suppression;

/**
 * Two stores on one redis-server, as two MX hosts of a site: what one suppresses the other enforces
 * within the promised second, offences made at once all count, and an outage neither hangs them nor
 * loses what they know.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisSuppressionSharingIT {
  static final Duration TIMEOUT = Duration.ofMillis(300);
  static final Duration BASE = Duration.ofHours(1);
  static final Duration MAX = Duration.ofHours(4);
  static final Cidr HOST = Cidr.parse("192.0.2.7");
  static final Cidr OTHER = Cidr.parse("192.0.2.8");
  static final InetAddress CLIENT = Addresses.parse("192.0.2.7").orElseThrow();

  @TempDir Path dir;
  LoopbackRedis redis;
  // Each host's own client, as on separate machines; a store opened later gets one too.
  final List<RedisState> hosts = new ArrayList<>();
  RedisSuppressionStore first;
  RedisSuppressionStore second;

  @BeforeEach
  void start() throws Exception {
    redis = LoopbackRedis.start(dir);
    first = open();
    second = open();
  }

  @AfterEach
  void stop() throws Exception {
    // Whatever opened: a host that failed to open must not leave the redis-server running.
    try {
      for (RedisSuppressionStore s : new RedisSuppressionStore[] {first, second}) {
        if (s != null) {
          s.close();
        }
      }
      hosts.forEach(RedisState::close);
    } finally {
      redis.close();
    }
  }

  RedisSuppressionStore open() throws Exception {
    RedisState host = RedisState.open(redis.url(), null, "mxtrap:", TIMEOUT);
    hosts.add(host);
    return RedisSuppressionStore.open(host, Duration.ofSeconds(30), Clock.systemUTC());
  }

  Suppression offend(RedisSuppressionStore store, Instant now) {
    return store.offend(HOST, now, BASE, MAX, "mx-skip", "trap 30");
  }

  @Test
  void anOffenceOnOneHostIsEnforcedOnTheOtherWithinOneSecond() {
    Instant now = Instant.now();
    Suppression s = offend(first, now);

    awaitWithin(Duration.ofSeconds(1), () -> second.find(CLIENT, now).isPresent());
    assertThat(second.find(CLIENT, now)).contains(s);

    second.remove(HOST, now.plusSeconds(1));
    awaitWithin(Duration.ofSeconds(1), () -> first.find(CLIENT, now.plusSeconds(1)).isEmpty());
    assertThat(first.history(CLIENT)).containsExactly(second.history(CLIENT).getFirst());
  }

  @Test
  void offencesMadeAtOnceOnBothHostsAreEachCounted() throws Exception {
    int each = 10;
    Instant now = Instant.now();
    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Suppression>> all = new ArrayList<>();
      for (int i = 0; i < each; i++) {
        all.add(executor.submit(() -> offend(first, now)));
        all.add(executor.submit(() -> offend(second, now)));
      }
      for (Future<Suppression> f : all) {
        f.get();
      }
    }

    for (RedisSuppressionStore store : List.of(first, second)) {
      awaitWithin(
          Duration.ofSeconds(1),
          () -> store.find(CLIENT, now).map(Suppression::offences).orElse(0) == 2 * each);
    }
  }

  @Test
  void withRedisAwayLookupsAnswerFromTheMirrorAndAnOperatorsChangesFailWithinTheDeadline()
      throws Exception {
    Instant now = Instant.now();
    Suppression s = offend(first, now);
    awaitWithin(Duration.ofSeconds(1), () -> second.find(CLIENT, now).isPresent());

    redis.stop();

    for (RedisSuppressionStore store : List.of(first, second)) {
      assertThat(store.find(CLIENT, now)).contains(s);
      assertThat(store.active(now)).containsExactly(s);
      long started = System.nanoTime();
      assertThatThrownBy(() -> store.add(OTHER, now, Duration.ofHours(1), "manual", "test"))
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining(OTHER.toString());
      assertThatThrownBy(() -> store.remove(HOST, now)).isInstanceOf(UncheckedIOException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(TIMEOUT.multipliedBy(3));
      store.maintain(now);
      assertThat(store.find(CLIENT, now)).contains(s);
    }
  }

  @Test
  void anOffenceWhileRedisIsAwayIsEnforcedHereAtOnceAndEverywhereOnceItReturns() throws Exception {
    Instant now = Instant.now();
    Suppression before = offend(first, now);
    awaitWithin(Duration.ofSeconds(1), () -> second.find(CLIENT, now).isPresent());
    redis.stop();

    Suppression repeat = offend(first, now.plusSeconds(1));
    assertThat(repeat.offences()).as("judged from the mirror").isEqualTo(2);
    assertThat(repeat.until()).isAfter(before.until());
    assertThat(first.find(CLIENT, now.plusSeconds(2))).contains(repeat);
    assertThat(second.find(CLIENT, now.plusSeconds(2))).contains(before);

    redis.restart(); // empty: the recovery writes the repeat, the resync the rest
    awaitWithin(
        Duration.ofSeconds(20),
        () -> second.find(CLIENT, now.plusSeconds(2)).equals(Optional.of(repeat)));
    assertThat(first.find(CLIENT, now.plusSeconds(2))).contains(repeat);
  }

  @Test
  void aRedisRestartedEmptyGetsTheSuppressionsBackAndSharesAgain() throws Exception {
    Instant now = Instant.now();
    Suppression s = offend(first, now);
    awaitWithin(Duration.ofSeconds(1), () -> second.find(CLIENT, now).isPresent());

    redis.stop();
    redis.restart();

    RedisClient client = RedisClient.create(redis.url());
    try (StatefulRedisConnection<String, String> raw = client.connect()) {
      raw.setTimeout(TIMEOUT);
      awaitWithin(
          Duration.ofSeconds(10),
          () -> raw.sync().hget("mxtrap:suppression:192.0.2.7/32", "until") != null);
      Map<String, String> hash = raw.sync().hgetall("mxtrap:suppression:192.0.2.7/32");
      assertThat(hash).containsEntry("until", s.until().toString()).containsEntry("offences", "1");
      assertThat(raw.sync().pttl("mxtrap:suppression:192.0.2.7/32")).isPositive();
    } finally {
      client.shutdown();
    }

    Cidr other = Cidr.parse("198.51.100.0/24");
    awaitWithin(Duration.ofSeconds(10), () -> tryAdd(second, other, now));
    // The other store's subscription may come back after this add (its reconnect backs off up
    // to a second): then the resync that follows its reconnect brings the row, not pub/sub.
    awaitWithin(
        Duration.ofSeconds(5),
        () -> first.find(Addresses.parse("198.51.100.9").orElseThrow(), now).isPresent());
    assertThat(offend(first, now.plusSeconds(1)).offences()).isEqualTo(2);
  }

  @Test
  void aStoreOpenedLaterLoadsWhatIsAlreadyThere() throws Exception {
    Instant now = Instant.now();
    Suppression s = offend(first, now);
    try (RedisSuppressionStore third = open()) {
      assertThat(third.find(CLIENT, now)).contains(s);
    }
  }

  static boolean tryAdd(RedisSuppressionStore store, Cidr prefix, Instant now) {
    try {
      store.add(prefix, now, BASE, "manual", "operator");
      return true;
    } catch (UncheckedIOException stillReconnecting) {
      return false;
    }
  }

  /** Polls {@code condition} until it holds, failing after {@code limit}. */
  static void awaitWithin(Duration limit, BooleanSupplier condition) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("not within %s", limit).isNegative();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }
}
