package org.mxtrap.state.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.it.LoopbackRedis;
import org.mxtrap.it.PrivateCa;
import org.mxtrap.state.SuppressionStore;

/**
 * One redis-server that speaks only TLS (a certificate for 127.0.0.1 from a CA of the test's own)
 * and requires a password: a host that trusts the CA and gives the password shares suppressions
 * through it; a wrong password, a CA that did not sign the server's certificate and a CA file that
 * is no such thing each fail at open, with a message that names the cause and never the password.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisTlsIT {
  static final Duration TIMEOUT = Duration.ofSeconds(2);
  static final String PASSWORD = "Tls-Pa55word-41";

  @TempDir static Path dir;
  static PrivateCa ca;
  static LoopbackRedis redis;

  @BeforeAll
  static void start() throws Exception {
    ca = PrivateCa.create(dir.resolve("ca"), "mxtrap test CA");
    redis = LoopbackRedis.start(dir, new LoopbackRedis.Secured(PASSWORD, ca));
  }

  @AfterAll
  static void stop() throws Exception {
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void opensOverTlsWithThePasswordAndAStoreRoundTrips() throws Exception {
    assertThat(redis.url()).startsWith("rediss://127.0.0.1:");
    RedisState.Tls tls = RedisState.Tls.trusting(ca.certificate());
    try (RedisState state = RedisState.open(redis.url(), PASSWORD, tls, "tls:", TIMEOUT);
        SuppressionStore store = state.suppressions(Duration.ofMinutes(10), Clock.systemUTC())) {
      Instant now = Instant.now();
      store.add(Cidr.parse("192.0.2.7"), now, Duration.ofHours(1), "manual", "operator");
      assertThat(store.find(Addresses.parse("192.0.2.7").orElseThrow(), now)).isPresent();
      assertThat(state.describe(now))
          .startsWith("redis 127.0.0.1:" + redis.port() + " key_prefix=tls:: answering")
          .doesNotContain(PASSWORD);
    }
  }

  @Test
  void aWrongPasswordFailsAtOpenAndIsNotInTheMessage() throws Exception {
    RedisState.Tls tls = RedisState.Tls.trusting(ca.certificate());
    String wrong = "Not-The-Pa55word-7";
    assertThatThrownBy(() -> RedisState.open(redis.url(), wrong, tls, "tls:", TIMEOUT))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot use redis 127.0.0.1:" + redis.port() + ": ")
        .hasMessageContaining("WRONGPASS")
        .satisfies(e -> assertThat(everyMessage(e)).doesNotContain(wrong, PASSWORD));
  }

  @Test
  void aCertificateNoTrustedCaSignedFailsAtOpen() throws Exception {
    PrivateCa other = PrivateCa.create(dir.resolve("other"), "another CA");
    RedisState.Tls tls = RedisState.Tls.trusting(other.certificate());
    assertThatThrownBy(() -> RedisState.open(redis.url(), PASSWORD, tls, "tls:", TIMEOUT))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot use redis 127.0.0.1:" + redis.port() + ": ")
        .hasMessageContaining("certification path")
        .satisfies(e -> assertThat(everyMessage(e)).doesNotContain(PASSWORD));
    // Nor does the JVM's default trust store know the test's CA.
    assertThatThrownBy(() -> RedisState.open(redis.url(), PASSWORD, "tls:", TIMEOUT))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("certification path");
  }

  @Test
  void aCaFileThatIsNoCertificateFailsWithItsNameAndTheReason() throws Exception {
    Path missing = dir.resolve("missing.pem");
    assertThatThrownBy(() -> RedisState.Tls.trusting(missing))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("CA file " + missing + ": cannot read it: ")
        .hasMessageContaining("NoSuchFileException");
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
    assertThatThrownBy(() -> RedisState.Tls.trusting(garbage))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("CA file " + garbage + ": ");
    Path empty = Files.writeString(dir.resolve("empty.pem"), "");
    assertThatThrownBy(() -> RedisState.Tls.trusting(empty))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("CA file " + empty + ": ");
  }

  /** The messages of {@code e} and of all its causes, one a line. */
  static String everyMessage(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = e; c != null; c = c.getCause()) {
      b.append(c).append('\n');
    }
    return b.toString();
  }
}
