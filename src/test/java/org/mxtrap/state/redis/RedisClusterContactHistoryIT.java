package org.mxtrap.state.redis;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.it.LoopbackCluster;
import org.mxtrap.state.ContactHistory;
import org.mxtrap.state.ContactHistoryContract;

/** The contact history contract on a Redis Cluster of three masters, through a cluster client. */
class RedisClusterContactHistoryIT extends ContactHistoryContract {
  @TempDir static Path dir;
  private static LoopbackCluster cluster;
  private static RedisState state;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = LoopbackCluster.start(dir);
    state = RedisState.openCluster(cluster.nodes(), null, "unused:", HistoryRedisFixture.TIMEOUT);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    state.close();
    cluster.close();
  }

  @Override
  protected ContactHistory open(
      int excusePrefixV4, int excusePrefixV6, int capacity, Duration window, int... preferences) {
    return new RedisContactHistory(
        state.commands(),
        HistoryRedisFixture.reach(),
        HistoryRedisFixture.TIMEOUT,
        HistoryRedisFixture.prefix(),
        excusePrefixV4,
        excusePrefixV6,
        capacity,
        window,
        preferences);
  }
}
