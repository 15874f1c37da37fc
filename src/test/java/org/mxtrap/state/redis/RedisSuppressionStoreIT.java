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
import org.mxtrap.it.LoopbackRedis;
import org.mxtrap.state.SuppressionStore;
import org.mxtrap.state.SuppressionStoreContract;

/** The suppression contract against a real redis-server: each test on a key prefix of its own. */
class RedisSuppressionStoreIT extends SuppressionStoreContract {
  static final Duration TIMEOUT = Duration.ofMillis(300);
  static final AtomicInteger sites = new AtomicInteger();
  static final List<RedisState> states = new ArrayList<>();
  static LoopbackRedis redis;

  RedisState state;

  @BeforeAll
  static void startRedis(@TempDir Path dir) throws Exception {
    redis = LoopbackRedis.start(dir);
  }

  @AfterAll
  static void stopRedis() throws Exception {
    states.forEach(RedisState::close);
    redis.close();
  }

  @Override
  protected SuppressionStore open() throws Exception {
    state = RedisState.open(redis.url(), null, "site" + sites.incrementAndGet() + ":", TIMEOUT);
    states.add(state);
    return RedisSuppressionStore.open(state, Duration.ofSeconds(5), Clock.systemUTC());
  }

  @Override
  protected SuppressionStore reopen(SuppressionStore store) throws Exception {
    store.close();
    return RedisSuppressionStore.open(state, Duration.ofSeconds(5), Clock.systemUTC());
  }
}
