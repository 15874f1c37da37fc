package org.mxtrap.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.mxtrap.core.Addresses;

class BoundedIdentityHistoryTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final InetAddress A = Addresses.parse("198.51.100.7").orElseThrow();
  static final InetAddress B = Addresses.parse("203.0.113.9").orElseThrow();

  @Test
  void theLatestLowerContactWithinTheWindowWithItsAddress() {
    BoundedIdentityHistory h = new BoundedIdentityHistory(10, Duration.ofHours(1));
    h.record("ptr:pool.test", A, 10, T0);
    h.record("ptr:pool.test", B, 20, T0.plusSeconds(5));
    h.record("ptr:pool.test", A, 10, T0.minusSeconds(60)); // older: the later one stays
    assertThat(h.lastBelow("ptr:pool.test", 30, T0))
        .contains(new IdentityHistory.Sighting(B, T0.plusSeconds(5)));
    assertThat(h.lastBelow("ptr:pool.test", 20, T0)).contains(new IdentityHistory.Sighting(A, T0));
    assertThat(h.lastBelow("ptr:pool.test", 10, T0)).as("strictly lower").isEmpty();
    assertThat(h.lastBelow("ptr:pool.test", 30, T0.plusSeconds(6))).as("since").isEmpty();
    assertThat(h.lastBelow("ptr:other.test", 30, T0)).isEmpty();
  }

  @Test
  void theIdentityRecordedLeastRecentlyIsEvictedAndStaleOnesDropped() {
    BoundedIdentityHistory h = new BoundedIdentityHistory(2, Duration.ofHours(1));
    h.record("ptr:one.test", A, 10, T0);
    h.record("ptr:two.test", A, 10, T0);
    h.record("ptr:one.test", A, 10, T0.plusSeconds(1)); // one is now the latest recorded
    h.record("ptr:three.test", A, 10, T0.plusSeconds(2));
    assertThat(h.lastBelow("ptr:two.test", 30, T0)).isEmpty();
    assertThat(h.lastBelow("ptr:one.test", 30, T0)).isPresent();
    assertThat(h.evictions()).isEqualTo(1);
    // Two hours on, a new contact drops the ones past the window without counting evictions.
    h.record("ptr:four.test", A, 10, T0.plus(Duration.ofHours(2)));
    assertThat(h.lastBelow("ptr:one.test", 30, T0)).isEmpty();
    assertThat(h.lastBelow("ptr:three.test", 30, T0)).isEmpty();
    assertThat(h.evictions()).isEqualTo(1);
  }
}
