package org.mxtrap.state.redis;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.it.LoopbackCluster;
import org.mxtrap.state.SuppressionStore;
import org.mxtrap.state.SuppressionStoreContract;

/**
 * The suppression contract on a Redis Cluster of three masters: each test on a key prefix of its
 * own, its suppressions spread over every master (so the resync's SCAN must visit them all).
 */
class RedisClusterSuppressionStoreIT extends SuppressionStoreContract {
  static final Duration TIMEOUT = Duration.ofMillis(300);
  static final AtomicInteger sites = new AtomicInteger();
  static final List<RedisState> states = new ArrayList<>();
  static LoopbackCluster cluster;

  RedisState state;

  @BeforeAll
  static void startCluster(@TempDir Path dir) throws Exception {
    cluster = LoopbackCluster.start(dir);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    states.forEach(RedisState::close);
    cluster.close();
  }

  @Override
  protected SuppressionStore open() throws Exception {
    state =
        RedisState.openCluster(
            cluster.nodes(), null, "site" + sites.incrementAndGet() + ":", TIMEOUT);
    states.add(state);
    return RedisSuppressionStore.open(state, Duration.ofSeconds(5), Clock.systemUTC());
  }

  @Override
  protected SuppressionStore reopen(SuppressionStore store) throws Exception {
    store.close();
    return RedisSuppressionStore.open(state, Duration.ofSeconds(5), Clock.systemUTC());
  }
}
