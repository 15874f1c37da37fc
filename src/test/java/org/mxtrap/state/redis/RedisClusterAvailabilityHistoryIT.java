package org.mxtrap.state.redis;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.it.LoopbackCluster;
import org.mxtrap.state.AvailabilityHistory;
import org.mxtrap.state.AvailabilityHistoryContract;

/**
 * The availability history contract on a Redis Cluster of three masters: its scripts touch only
 * keys of the hash tag {@code {availability}}, so they run on a cluster as on one server.
 */
class RedisClusterAvailabilityHistoryIT extends AvailabilityHistoryContract {
  @TempDir static Path dir;
  private static LoopbackCluster cluster;
  private static RedisState state;

  /** The key prefix of the current test's site. */
  private String site = "";

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = LoopbackCluster.start(dir);
    state = RedisState.openCluster(cluster.nodes(), null, "unused:", HistoryRedisFixture.TIMEOUT);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    try {
      if (state != null) {
        state.close();
      }
    } finally {
      cluster.close();
    }
  }

  @Override
  protected AvailabilityHistory open(Instant now) {
    site = HistoryRedisFixture.prefix();
    return host(now);
  }

  @Override
  protected AvailabilityHistory reopen(AvailabilityHistory history, Instant now) {
    history.close();
    return host(now);
  }

  private AvailabilityHistory host(Instant now) {
    return RedisAvailabilityHistory.open(
        state.commands(),
        state.reachability(),
        HistoryRedisFixture.TIMEOUT,
        site,
        LAYOUT,
        Set.of(),
        now,
        DAY);
  }
}
