package org.mxtrap.state.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.Cidr;
import org.mxtrap.it.LoopbackRedis;
import org.mxtrap.it.LoopbackSentinel;
import org.mxtrap.it.PrivateCa;

/**
 * A master, its replica and three Sentinels that all speak only TLS, the servers with one password
 * (requirepass, masterauth) and the Sentinels with another of their own: a host that trusts the CA
 * and knows both opens through the Sentinels, shares a suppression, and follows a failover. Without
 * the Sentinels' password it fails at open, and no message carries a password.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RedisSentinelTlsIT {
  static final Duration TIMEOUT = Duration.ofMillis(500);
  static final String PASSWORD = "Servers-Pa55-9";
  static final String SENTINEL_PASSWORD = "Sentinels-Pa55-3";

  @TempDir Path dir;
  PrivateCa ca;
  LoopbackSentinel redis;

  @BeforeEach
  void start() throws Exception {
    ca = PrivateCa.create(dir.resolve("ca"), "mxtrap test CA");
    redis = LoopbackSentinel.start(dir, new LoopbackRedis.Secured(PASSWORD, ca), SENTINEL_PASSWORD);
  }

  @AfterEach
  void stop() throws Exception {
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void opensThroughTheSentinelsOverTlsWithBothPasswordsAndFollowsAFailover() throws Exception {
    RedisState.Tls tls = RedisState.Tls.trusting(ca.certificate());
    try (RedisState host =
            RedisState.openSentinel(
                LoopbackSentinel.MASTER,
                redis.nodes(),
                SENTINEL_PASSWORD,
                PASSWORD,
                tls,
                "mxtrap:",
                TIMEOUT);
        RedisSuppressionStore store =
            RedisSuppressionStore.open(host, Duration.ofMinutes(10), Clock.systemUTC())) {
      Instant now = Instant.now();
      store.add(Cidr.parse("192.0.2.7"), now, Duration.ofHours(1), "manual", "operator");
      assertThat(host.describe(now))
          .contains("master at 127.0.0.1:" + redis.masterPort() + " ")
          .contains("answering")
          .doesNotContain(PASSWORD, SENTINEL_PASSWORD);
      redis.awaitReplicated();

      redis.killMaster();
      redis.awaitPromoted(Duration.ofSeconds(30));

      Cidr after = Cidr.parse("198.51.100.0/24");
      RedisSuppressionSharingIT.awaitWithin(
          Duration.ofSeconds(10), () -> RedisSuppressionSharingIT.tryAdd(store, after, now));
      assertThat(host.describe(now))
          .contains("master at 127.0.0.1:" + redis.replicaPort() + " ")
          .contains("answering");
      assertThat(store.find(RedisSentinelIT.address("192.0.2.7"), now)).isPresent();
    }
  }

  @Test
  void withoutTheSentinelsPasswordItFailsAtOpen() throws Exception {
    RedisState.Tls tls = RedisState.Tls.trusting(ca.certificate());
    assertThatThrownBy(
            () ->
                RedisState.openSentinel(
                    LoopbackSentinel.MASTER, redis.nodes(), null, PASSWORD, tls, "m:", TIMEOUT))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot use redis sentinel mymaster (127.0.0.1:")
        .satisfies(
            e ->
                assertThat(RedisTlsIT.everyMessage(e)).doesNotContain(PASSWORD, SENTINEL_PASSWORD));
  }
}
