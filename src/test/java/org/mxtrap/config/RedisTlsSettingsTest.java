package org.mxtrap.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code state.redis.tls}, {@code ca_file} and {@code sentinel.password_file}: one server's TLS is
 * its {@code rediss://} scheme, Sentinel and Cluster say {@code tls: true}; a CA file goes only
 * with TLS; the Sentinels' password file is their own. The effective config names the files, never
 * what is in them.
 */
class RedisTlsSettingsTest {
  @TempDir Path dir;

  @BeforeEach
  void files() throws Exception {
    Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    Files.writeString(dir.resolve("redis.pass"), "Servers-Secret\n");
    Files.writeString(dir.resolve("sentinel.pass"), "Sentinels-Secret\n");
  }

  MxtrapConfig load(String state) throws Exception {
    Path f = Files.writeString(dir.resolve("mxtrap.yml"), ConfigLoaderTest.MINIMAL + state);
    return ConfigLoader.load(f);
  }

  List<String> problems(String state) throws Exception {
    Path f = Files.writeString(dir.resolve("mxtrap.yml"), ConfigLoaderTest.MINIMAL + state);
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(f));
    assertThat(e).as("expected a ConfigException").isNotNull();
    return e.problems().stream().map(p -> p.toString().substring(f.toString().length())).toList();
  }

  @Test
  void oneServerSpeaksTlsByItsScheme() throws Exception {
    MxtrapConfig c =
        load(
            "state: { store: redis, redis: { url: \"rediss://127.0.0.1:6380\", ca_file: ca.pem,"
                + " password_file: redis.pass } }\n");
    StateSettings.Redis r = Objects.requireNonNull(c.state().redis());
    assertThat(r.tls()).isTrue();
    assertThat(r.caFile()).isEqualTo(dir.resolve("ca.pem").toAbsolutePath().normalize());
    assertThat(c.describe())
        .contains("rediss://127.0.0.1:6380 key_prefix=mxtrap: password_file=")
        .contains(" ca_file=" + r.caFile())
        .doesNotContain("tls=true")
        .doesNotContain("Secret");
    assertThat(
            Objects.requireNonNull(
                    load("state: { store: redis, redis: { url: \"redis://127.0.0.1\" } }\n")
                        .state()
                        .redis())
                .tls())
        .isFalse();
  }

  @Test
  void sentinelSaysTlsAndHasAPasswordOfItsOwn() throws Exception {
    MxtrapConfig c =
        load(
            """
            state:
              store: redis
              redis:
                sentinel: { master: m, nodes: ["127.0.0.1:26379"], password_file: sentinel.pass }
                password_file: redis.pass
                tls: true
                ca_file: ca.pem
            """);
    StateSettings.Redis r = Objects.requireNonNull(c.state().redis());
    assertThat(r.tls()).isTrue();
    assertThat(r.topology())
        .isEqualTo(
            new StateSettings.Redis.Sentinel(
                "m",
                List.of(InetSocketAddress.createUnresolved("127.0.0.1", 26379)),
                dir.resolve("sentinel.pass").toAbsolutePath().normalize()));
    assertThat(c.describe())
        .contains("sentinel master=m nodes=127.0.0.1:26379 password_file=")
        .contains(" tls=true ca_file=")
        .doesNotContain("Secret");
    StateSettings.Redis cluster =
        Objects.requireNonNull(
            load("state: { store: redis, redis: { cluster: [\"127.0.0.1:7000\"], tls: true } }\n")
                .state()
                .redis());
    assertThat(cluster.tls()).isTrue();
    assertThat(cluster.caFile()).isNull();
  }

  @Test
  void tlsGoesWithTheSchemeForOneServerAndTheCaFileOnlyWithTls() throws Exception {
    assertThat(
            problems("state: { store: redis, redis: { url: \"redis://127.0.0.1\", tls: true } }\n"))
        .containsExactly(
            ":4: state.redis.tls: with url, TLS is its scheme: write rediss://HOST:PORT");
    assertThat(
            problems(
                "state: { store: redis, redis: { url: \"redis://127.0.0.1\", ca_file: ca.pem } }\n"))
        .containsExactly(
            ":4: state.redis.ca_file: only read with TLS (url: rediss://HOST:PORT); set it or"
                + " remove the key");
    assertThat(
            problems(
                "state: { store: redis, redis: { cluster: [\"127.0.0.1:7000\"], ca_file: ca.pem"
                    + " } }\n"))
        .containsExactly(
            ":4: state.redis.ca_file: only read with TLS (tls: true); set it or remove the key");
    assertThat(
            problems(
                "state: { store: redis, redis: { url: \"rediss://127.0.0.1\", ca_file: nope.pem"
                    + " } }\n"))
        .singleElement()
        .asString()
        .startsWith(":4: state.redis.ca_file: not a readable file: ");
  }
}
