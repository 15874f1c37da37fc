package org.mxtrap.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.Limits;

class ResourcesTest {
  private static final long GIB = 1L << 30;

  private static Limits limits(int maxConnections, long messageMemory) {
    return new Limits(
        maxConnections, 20, 50L << 20, 100, Duration.ofMinutes(5), 20, 500, messageMemory);
  }

  @Test
  void aConfigurationThatFitsIsKeptWhole() {
    Resources r = Resources.plan(limits(1000, Limits.AUTO), 500, 10_000, 3, 65_536, 4 * GIB);

    assertThat(r.maxConnections()).isEqualTo(1000);
    assertThat(r.tarpitMax()).isEqualTo(500);
    assertThat(r.messageMemory()).isEqualTo(GIB); // auto: a quarter of the heap
    assertThat(r.cuts()).isEmpty();
  }

  @Test
  void fewDescriptorsCutTheTarpitFirstSoItNeverStarvesTheEntries() {
    // ulimit -n 1024: 128 reserved; the tarpit gets a quarter of the other 896, the 3 entries
    // share the rest.
    Resources r = Resources.plan(limits(20_000, Limits.AUTO), 20_000, 10_000, 3, 1024, 4 * GIB);

    assertThat(r.tarpitMax()).isEqualTo(224);
    assertThat(r.maxConnections()).isEqualTo(224);
    assertThat(3L * r.maxConnections() + r.tarpitMax()).isLessThanOrEqualTo(1024 - 128);
    assertThat(r.cuts()).singleElement().asString().startsWith("descriptors:");
  }

  @Test
  void aSmallHeapScalesTheConnectionLimitsDown() {
    // 256 MiB: 64 for the server, ~1 for 10,000 contacts, 64 for messages (auto); the rest holds
    // about 4,000 connections of 32 KiB.
    Resources r = Resources.plan(limits(20_000, Limits.AUTO), 1000, 10_000, 1, 1 << 20, 256L << 20);

    long used =
        r.maxConnections() * Resources.CONNECTION_MEMORY + r.tarpitMax() * Resources.TARPIT_MEMORY;
    assertThat(used).isLessThanOrEqualTo((256L << 20) - (64L << 20) - (64L << 20) - 1_280_000);
    assertThat(r.maxConnections()).isBetween(3500, 4100);
    assertThat(r.cuts()).singleElement().asString().startsWith("memory:");
  }

  @Test
  void messageMemoryLargerThanTheHeapRefusesToStart() {
    assertThatThrownBy(() -> Resources.plan(limits(100, 2 * GIB), 10, 10_000, 1, 1 << 20, GIB))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("limits.message_memory");
  }

  @Test
  void theHeapForAConfigurationHoldsItWithoutCuts() {
    Limits l = limits(20_000, Limits.AUTO);
    long heap = Resources.heapFor(l, 20_000, 1_000_000, 3);

    Resources r = Resources.plan(l, 20_000, 1_000_000, 3, 1 << 20, heap);

    assertThat(r.cuts()).isEmpty();
    assertThat(heap % (1 << 20)).isZero();
  }

  @Test
  void theHeapIsNeverBelowTheMinimum() {
    assertThat(Resources.heapFor(limits(10, 1 << 20), 0, 0, 1)).isEqualTo(Resources.MIN_HEAP);
  }
}
