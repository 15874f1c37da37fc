package org.mxtrap.state.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxtrap.state.redis.RedisSuppressionSharingIT.awaitWithin;

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
import org.mxtrap.it.LoopbackCluster;
import org.mxtrap.state.Suppression;

/**
 * Two hosts on one Redis Cluster, each with a client of its own: an offence on one is enforced by
 * the other within the promised second (the script's PUBLISH reaches a subscription on whichever
 * node it is), and a host that starts later finds by its SCAN what lives on every master.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RedisClusterSharingIT {
  static final Duration TIMEOUT = Duration.ofMillis(300);
  static final Duration BASE = Duration.ofHours(1);
  static final Duration MAX = Duration.ofHours(4);
  // Far longer than the test: a suppression that arrives in time came by pub/sub.
  static final Duration RESYNC = Duration.ofMinutes(10);

  @TempDir Path dir;
  LoopbackCluster cluster;
  final List<RedisState> hosts = new ArrayList<>();
  final List<RedisSuppressionStore> stores = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    cluster = LoopbackCluster.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    stores.forEach(RedisSuppressionStore::close);
    hosts.forEach(RedisState::close);
    cluster.close();
  }

  RedisSuppressionStore host() throws Exception {
    RedisState host = RedisState.openCluster(cluster.nodes(), null, "mxtrap:", TIMEOUT);
    hosts.add(host);
    RedisSuppressionStore s = RedisSuppressionStore.open(host, RESYNC, Clock.systemUTC());
    stores.add(s);
    return s;
  }

  @Test
  void anOffenceOnOneHostIsEnforcedByTheOtherWithinASecondAndALaterHostLoadsThemAll()
      throws Exception {
    RedisSuppressionStore first = host();
    RedisSuppressionStore second = host();
    Instant now = Instant.now();
    assertThat(hosts.getFirst().describe(now))
        .startsWith("redis cluster (127.0.0.1:")
        .contains("answering");

    // Enough prefixes that their keys fall into the slots of every master.
    List<Suppression> made = new ArrayList<>();
    for (int i = 1; i <= 30; i++) {
      RedisSuppressionStore on = i % 2 == 0 ? first : second;
      RedisSuppressionStore other = i % 2 == 0 ? second : first;
      String ip = "192.0.2." + i;
      made.add(on.offend(Cidr.parse(ip), now, BASE, MAX, "mx-skip", "skipped"));
      awaitWithin(Duration.ofSeconds(1), () -> other.find(address(ip), now).isPresent());
    }

    RedisSuppressionStore later = host();
    assertThat(later.active(now)).containsExactlyInAnyOrderElementsOf(made);
  }

  static InetAddress address(String text) {
    return Addresses.parse(text).orElseThrow();
  }
}
