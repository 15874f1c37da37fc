package org.mxtrap.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.config.ConfigLoader;
import org.mxtrap.config.Limits;

class ResourcesTest {
  private static final long GIB = 1L << 30;

  private static Limits limits(int maxConnections, long messageMemory) {
    return new Limits(
        maxConnections, 20, 50L << 20, 100, Duration.ofMinutes(5), 20, 500, messageMemory);
  }

  @Test
  void aConfigurationThatFitsIsKeptWhole() {
    Resources r =
        Resources.plan(
            limits(1000, Limits.AUTO),
            500,
            10_000L * Resources.CONTACT_MEMORY,
            3,
            65_536,
            4 * GIB,
            false);

    assertThat(r.maxConnections()).isEqualTo(1000);
    assertThat(r.tarpitMax()).isEqualTo(500);
    assertThat(r.messageMemory()).isEqualTo(GIB); // auto: a quarter of the heap
    assertThat(r.cuts()).isEmpty();
  }

  @Test
  void fewDescriptorsCutTheTarpitFirstSoItNeverStarvesTheEntries() {
    // ulimit -n 1024: 128 reserved; the tarpit gets a quarter of the other 896, the 3 entries
    // share the rest.
    Resources r =
        Resources.plan(
            limits(20_000, Limits.AUTO),
            20_000,
            10_000L * Resources.CONTACT_MEMORY,
            3,
            1024,
            4 * GIB,
            false);

    assertThat(r.tarpitMax()).isEqualTo(224);
    assertThat(r.maxConnections()).isEqualTo(224);
    assertThat(3L * r.maxConnections() + r.tarpitMax()).isLessThanOrEqualTo(1024 - 128);
    assertThat(r.cuts()).singleElement().asString().startsWith("descriptors:");
  }

  @Test
  void aSmallHeapScalesTheConnectionLimitsDown() {
    // 256 MiB: 64 for the server, ~1 for 10,000 contacts, 64 for messages (auto); the rest holds
    // about 4,000 connections of 32 KiB.
    Resources r =
        Resources.plan(
            limits(20_000, Limits.AUTO),
            1000,
            10_000L * Resources.CONTACT_MEMORY,
            1,
            1 << 20,
            256L << 20,
            false);

    long used =
        r.maxConnections() * Resources.CONNECTION_MEMORY + r.tarpitMax() * Resources.TARPIT_MEMORY;
    assertThat(used).isLessThanOrEqualTo((256L << 20) - (64L << 20) - (64L << 20) - 1_280_000);
    assertThat(r.maxConnections()).isBetween(3500, 4100);
    assertThat(r.cuts()).singleElement().asString().startsWith("memory:");
  }

  @Test
  void messageMemoryLargerThanTheHeapRefusesToStart() {
    assertThatThrownBy(
            () ->
                Resources.plan(
                    limits(100, 2 * GIB),
                    10,
                    10_000L * Resources.CONTACT_MEMORY,
                    1,
                    1 << 20,
                    GIB,
                    false))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("limits.message_memory");
  }

  @Test
  void theHeapForAConfigurationHoldsItWithoutCuts() {
    Limits l = limits(20_000, Limits.AUTO);
    long heap = Resources.heapFor(l, 20_000, 1_000_000L * Resources.CONTACT_MEMORY, 3, false);

    Resources r =
        Resources.plan(l, 20_000, 1_000_000L * Resources.CONTACT_MEMORY, 3, 1 << 20, heap, false);

    assertThat(r.cuts()).isEmpty();
    assertThat(heap % (1 << 20)).isZero();
  }

  @Test
  void offeringStartTlsReservesMorePerConnection() {
    Limits l = limits(10_000, 1 << 20);
    long plain = Resources.heapFor(l, 0, 0, 1, false);
    long tls = Resources.heapFor(l, 0, 0, 1, true);

    assertThat(tls - plain)
        .isBetween(10_000L * 32 * 1024 - (1 << 20), 10_000L * 32 * 1024 + (1 << 20));
    Resources r = Resources.plan(l, 0, 0, 1, 1 << 20, plain, true);
    assertThat(r.maxConnections()).isLessThan(10_000);
  }

  @Test
  void theHeapIsNeverBelowTheMinimum() {
    assertThat(Resources.heapFor(limits(10, 1 << 20), 0, 0, 1, false))
        .isEqualTo(Resources.MIN_HEAP);
  }

  @Test
  void recipientVerificationAddsItsCacheToWhatIsRemembered(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("mxtrap.yml");
    String base =
        """
        domains: [example.test]
        data_dir: data
        layout:
          - { preference: 10, host: mail.example.test, address: 127.0.0.1, port: 2525, role: primary }
        listen: ["127.0.0.1:2525"]
        state: { max_contacts: 1000 }
        """;
    Files.writeString(file, base);
    long plain = Resources.rememberedMemory(ConfigLoader.load(file));
    Files.writeString(
        file,
        base
            + "delivery: { mode: relay, relay: { host: 127.0.0.1, port: 24 } }\n"
            + "recipients: { mode: verify }\n");
    long verifying = Resources.rememberedMemory(ConfigLoader.load(file));

    assertThat(plain).isEqualTo(1000 * Resources.CONTACT_MEMORY);
    assertThat(verifying - plain).isEqualTo(100_000 * Resources.VERIFIED_MEMORY);
  }
}
