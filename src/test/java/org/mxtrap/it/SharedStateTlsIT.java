package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar on a shared Redis that speaks only TLS and wants a password: {@code url:
 * rediss://...}, the test's CA in {@code ca_file}, the password in {@code password_file}. The host
 * serves and {@code mxtrap status} says the store answers; with a wrong password it does not start
 * and says why. No output and no log line carries a password.
 */
class SharedStateTlsIT {
  static final String PASSWORD = "Shared-Tls-Pa55-5";
  static final String WRONG = "Wrong-Tls-Pa55-6";

  @TempDir Path hosts;
  @TempDir Path redisDir;
  LoopbackRedis redis;
  PrivateCa ca;
  TwoMxLayout layout;

  @BeforeEach
  void start() throws Exception {
    ca = PrivateCa.create(redisDir.resolve("ca"), "mxtrap test CA");
    redis = LoopbackRedis.start(redisDir, new LoopbackRedis.Secured(PASSWORD, ca));
    layout = new TwoMxLayout(hosts);
  }

  @AfterEach
  void stop() throws Exception {
    if (redis != null) {
      redis.close();
    }
  }

  /** The primary's config, with {@code password} in {@code DIR/redis.pass}. */
  Path config(String password) throws Exception {
    Path file = Files.writeString(hosts.resolve("redis.pass"), password + "\n");
    return layout.primaryConfig(
        "state: { store: redis, redis: { url: \"%s\", ca_file: \"%s\", password_file: \"%s\" } }\n"
            .formatted(redis.url(), ca.certificate(), file));
  }

  @Test
  void aHostServesOnTheSharedStoreOverTlsAndNeverShowsThePassword() throws Exception {
    Path config = config(PASSWORD);
    try (MxtrapProcess host = layout.startPrimary(config)) {
      MxtrapProcess.Result status = SharedStateIT.cli(config, "status");
      assertThat(status.exitCode()).as(status.output()).isZero();
      assertThat(status.output())
          .contains("state: redis 127.0.0.1:" + redis.port() + " key_prefix=mxtrap:: answering")
          .doesNotContain(PASSWORD);
    }
    assertThat(Files.readString(hosts.resolve("primary.log")))
        .contains("rediss://127.0.0.1:" + redis.port())
        .contains("ca_file=" + ca.certificate())
        .doesNotContain(PASSWORD);
  }

  @Test
  void withAWrongPasswordTheHostDoesNotStartAndSaysWhy() throws Exception {
    MxtrapProcess.Result serve =
        MxtrapProcess.run(Duration.ofSeconds(60), "serve", "--config", config(WRONG).toString());
    assertThat(serve.exitCode()).as(serve.output()).isEqualTo(1);
    assertThat(serve.output())
        .contains("mxtrap: cannot start: cannot use redis 127.0.0.1:" + redis.port() + ": ")
        .contains("WRONGPASS")
        .doesNotContain(WRONG)
        .doesNotContain(PASSWORD);
  }
}
