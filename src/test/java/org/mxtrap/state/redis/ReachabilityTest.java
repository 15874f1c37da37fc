package org.mxtrap.state.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxtrap.state.redis.RedisSuppressionSharingIT.awaitWithin;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mxtrap.observe.Event;
import org.mxtrap.testing.RecordingEvents;

/** The view's life through an outage, with recoveries that fail or succeed as the test says. */
class ReachabilityTest {
  static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");

  final RecordingEvents events = new RecordingEvents();
  final Reachability reach =
      new Reachability("redis 127.0.0.1:6379", Clock.fixed(T0, ZoneOffset.UTC));

  @AfterEach
  void close() {
    reach.close();
  }

  @Test
  void theViewIsPartialFromAFailureUntilARoundOfRecoveriesSucceeds() throws Exception {
    reach.tell(events);
    AtomicInteger tries = new AtomicInteger();
    reach.register(
        () -> {
          if (tries.incrementAndGet() < 3) {
            throw new IllegalStateException("still away");
          }
          return 7;
        });
    assertThat(reach.partial()).isEmpty();

    reach.failed("the contact history", "no answer within 300ms");
    reach.failed("the suppressions", "connection refused"); // the same outage
    assertThat(reach.partial())
        .contains("redis 127.0.0.1:6379 not answering since " + T0 + " (no answer within 300ms)");
    assertThat(reach.outages()).isEqualTo(1);
    assertThat(events.of(Event.StatePartial.class)).hasSize(1);

    // The view is whole first, and then the recovery tells of it: await both.
    awaitWithin(
        Duration.ofSeconds(20),
        () -> reach.partial().isEmpty() && !events.of(Event.StateWhole.class).isEmpty());
    assertThat(tries.get()).isEqualTo(3);
    assertThat(events.of(Event.StateWhole.class))
        .singleElement()
        .satisfies(w -> assertThat(w.replayed()).isEqualTo(7));

    reach.failed("the availability history", "connection reset");
    assertThat(reach.outages()).isEqualTo(2);
    awaitWithin(Duration.ofSeconds(20), () -> reach.partial().isEmpty());
  }

  @Test
  void aFailureDuringARoundKeepsTheViewPartialForAnotherRound() throws Exception {
    AtomicInteger rounds = new AtomicInteger();
    reach.register(
        () -> {
          if (rounds.incrementAndGet() == 1) {
            reach.failed("the contact history", "a write failed while the round ran");
          }
          return 0;
        });
    reach.failed("the contact history", "no answer within 300ms");
    awaitWithin(Duration.ofSeconds(20), () -> reach.partial().isEmpty());
    assertThat(rounds.get()).isEqualTo(2);
  }
}
