package org.mxtrap.state.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxtrap.state.redis.RedisSuppressionSharingIT.awaitWithin;
import static org.mxtrap.state.redis.RedisSuppressionSharingIT.tryAdd;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.it.LoopbackSentinel;
import org.mxtrap.state.Suppression;

/**
 * Two hosts on a master watched by three Sentinels: when the master dies and the Sentinels promote
 * its replica, both follow by themselves, what was suppressed before is still there, and a
 * suppression made on one host after the failover reaches the other by pub/sub on the new master.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RedisSentinelIT {
  static final Duration TIMEOUT = Duration.ofMillis(300);
  static final Duration BASE = Duration.ofHours(1);
  static final Duration MAX = Duration.ofHours(4);
  // Far longer than the test: a suppression that arrives in time came by pub/sub.
  static final Duration RESYNC = Duration.ofMinutes(10);

  @TempDir Path dir;
  LoopbackSentinel redis;
  final List<RedisState> hosts = new ArrayList<>();
  final List<RedisSuppressionStore> stores = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    redis = LoopbackSentinel.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    stores.forEach(RedisSuppressionStore::close);
    hosts.forEach(RedisState::close);
    redis.close();
  }

  /** A host of its own: its own client through the Sentinels, and a suppression store on it. */
  RedisSuppressionStore host() throws Exception {
    RedisState host =
        RedisState.openSentinel(LoopbackSentinel.MASTER, redis.nodes(), null, "mxtrap:", TIMEOUT);
    hosts.add(host);
    RedisSuppressionStore s = RedisSuppressionStore.open(host, RESYNC, Clock.systemUTC());
    stores.add(s);
    return s;
  }

  @Test
  void bothHostsFollowAFailoverAndShareWhatIsSuppressedAfterIt() throws Exception {
    RedisSuppressionStore first = host();
    RedisSuppressionStore second = host();
    Instant now = Instant.now();
    assertThat(hosts.getFirst().describe(now))
        .startsWith("redis sentinel mymaster (127.0.0.1:")
        .contains("master at 127.0.0.1:" + redis.masterPort() + " ")
        .contains("answering");

    Suppression before = first.offend(Cidr.parse("192.0.2.7"), now, BASE, MAX, "mx-skip", "t");
    awaitWithin(Duration.ofSeconds(1), () -> second.find(address("192.0.2.7"), now).isPresent());
    redis.awaitReplicated();

    redis.killMaster();
    redis.awaitPromoted(Duration.ofSeconds(30));

    // The first write after the failover waits only for the host to find the new master.
    Cidr after = Cidr.parse("198.51.100.0/24");
    awaitWithin(Duration.ofSeconds(10), () -> tryAdd(first, after, now));
    awaitWithin(Duration.ofSeconds(5), () -> second.find(address("198.51.100.9"), now).isPresent());

    // Both subscriptions are on the new master: a change reaches the other host by pub/sub.
    awaitWithin(
        Duration.ofSeconds(10), () -> redis.subscribersOnReplica("mxtrap:suppressions") == 2);
    Cidr third = Cidr.parse("203.0.113.5");
    second.add(third, now, BASE, "manual", "operator");
    awaitWithin(Duration.ofSeconds(1), () -> first.find(address("203.0.113.5"), now).isPresent());

    assertThat(hosts.getFirst().describe(now))
        .contains("master at 127.0.0.1:" + redis.replicaPort() + " ")
        .contains("answering");
    // What was suppressed before the failover is on the new master, for a host that starts now.
    assertThat(host().find(address("192.0.2.7"), now)).contains(before);
  }

  static InetAddress address(String text) {
    return Addresses.parse(text).orElseThrow();
  }
}
