package org.mxtrap.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxtrap.testing.FakeClock;

class AnswerCacheTest {

  private final FakeClock clock = new FakeClock();
  private final AnswerCache cache =
      new AnswerCache(clock, 2, Duration.ofDays(1), Duration.ofHours(1));

  private static AnswerCache.Key key(String name) {
    return new AnswerCache.Key(name, 1);
  }

  private static Answer<String> found(long ttlSeconds) {
    return new Answer.Found<>(List.of("x"), Duration.ofSeconds(ttlSeconds), List.of());
  }

  @Test
  void unknownOutcomesAndZeroTtlsAreNotKept() {
    cache.put(key("a."), new Answer.Unknown<>(Answer.Failure.TIMEOUT, "t"));
    cache.put(key("b."), found(0));
    cache.put(key("c."), new Answer.NotFound<>(Answer.Absence.NODATA, Duration.ZERO, List.of()));
    assertThat(cache.size()).isZero();
  }

  @Test
  void negativeAnswersAreKeptAtMostTheNegativeCap() {
    cache.put(
        key("a."), new Answer.NotFound<>(Answer.Absence.NXDOMAIN, Duration.ofDays(2), List.of()));
    clock.advance(Duration.ofMinutes(59));
    assertThat(cache.get(key("a."))).isNotNull();
    clock.advance(Duration.ofMinutes(1));
    assertThat(cache.get(key("a."))).isNull();
  }

  @Test
  void theLeastRecentlyUsedGoesFirstWhenFull() {
    cache.put(key("a."), found(60));
    cache.put(key("b."), found(60));
    assertThat(cache.get(key("a."))).isNotNull(); // a is now the most recently used
    cache.put(key("c."), found(60));
    assertThat(cache.get(key("b."))).isNull();
    assertThat(cache.get(key("a."))).isNotNull();
    assertThat(cache.get(key("c."))).isNotNull();
  }
}
