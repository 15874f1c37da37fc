package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxtrap.it.SharedStateIT.await;
import static org.mxtrap.it.SharedStateIT.cli;
import static org.mxtrap.it.SharedStateIT.greeting;

import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code state.redis.cluster} with real programs: the packaged mxtrap on a Redis Cluster of three
 * masters with one replica each. A master crashes (SIGKILL) and its replica takes its slots over; a
 * suppression made before, whose key lived on that master, is still enforced, and a new one whose
 * key lives in those slots is made within a bounded time and enforced at the greeting.
 */
class RedisClusterFailoverIT {
  @TempDir Path hosts;
  @TempDir Path clusterDir;

  /** The key of {@code address}'s suppression under the default key prefix. */
  static String suppressionKey(String address) {
    return "mxtrap:suppression:" + address + "/32";
  }

  @Test
  void aSuppressionIsMadeAndEnforcedAfterItsMasterFailsOverToItsReplica() throws Exception {
    try (LoopbackCluster cluster = LoopbackCluster.start(clusterDir, 1)) {
      TwoMxLayout layout = new TwoMxLayout(hosts);
      String seeds =
          String.join(
              ", ",
              cluster.nodes().stream().map(n -> "\"127.0.0.1:" + n.getPort() + "\"").toList());
      Path config =
          layout.primaryConfig(
              "state: { store: redis, redis: { cluster: [%s] } }\n".formatted(seeds));
      try (MxtrapProcess host = layout.startPrimary(config)) {
        assertThat(cli(config, "status").output()).contains("redis cluster").contains("answering");
        String before = "127.0.0.70";
        int master = cluster.masterOf(suppressionKey(before));
        // A later address whose key lives on the same master: its add needs the promoted replica.
        String after =
            IntStream.rangeClosed(71, 130)
                .mapToObj(i -> "127.0.0." + i)
                .filter(a -> cluster.masterOf(suppressionKey(a)) == master)
                .findFirst()
                .orElseThrow();

        MxtrapProcess.Result add = cli(config, "suppressions", "add", before);
        assertThat(add.exitCode()).as(add.output()).isZero();
        assertThat(
                await(
                    Duration.ofSeconds(5),
                    () -> greeting("127.0.0.10", layout.primaryPort, before),
                    g -> g.startsWith("4")))
            .startsWith("421 4.7.1 ");

        cluster.awaitReplicated();
        cluster.kill(master);
        cluster.awaitFailover(Duration.ofSeconds(30));
        add =
            await(
                Duration.ofSeconds(15),
                () -> cli(config, "suppressions", "add", after),
                r -> r.exitCode() == 0);
        assertThat(add.exitCode()).as(add.output()).isZero();
        assertThat(
                await(
                    Duration.ofSeconds(5),
                    () -> greeting("127.0.0.10", layout.primaryPort, after),
                    g -> g.startsWith("4")))
            .startsWith("421 4.7.1 ");
        assertThat(greeting("127.0.0.10", layout.primaryPort, before))
            .as("made before the failover")
            .startsWith("421 4.7.1 ");
        assertThat(greeting("127.0.0.10", layout.primaryPort, "127.0.0.65"))
            .as("others are served")
            .startsWith("220 ");
      }
    }
  }
}
