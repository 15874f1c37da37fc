package org.mxtrap.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest
  @CsvSource({
    "500ms, PT0.5S",
    "90s, PT1M30S",
    "15m, PT15M",
    "24h, PT24H",
    "30d, PT720H",
    "0s, PT0S",
    "' 5m ', PT5M"
  })
  void parsesEveryUnit(String text, Duration expected) {
    assertThat(Durations.parse(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"90", "0"})
  void refusesABareNumberNamingTheUnits(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "duration without a unit: "
                + text
                + "; use ms, s, m, h or d (e.g. 90s, 15m, 24h, 30d)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "s", "-5s", "1.5h", "1h30m", "5 m", "5M", "5w", "PT5M", "5sec"})
  void refusesOtherForms(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ms, s, m, h or d");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "9999999999999999d",
        "999999999999999d",
        "110000000000d",
        "36501d",
        "876001h",
        "3153600001s",
        "999999999999999ms"
      })
  void refusesOverflowAndAnythingPastAHundredYears(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("duration too large: " + text + "; at most 36500d");
  }

  @org.junit.jupiter.api.Test
  void aHundredYearsIsTheLongestAndEverythingItGivesOutIsSafeToComputeWith() {
    Duration max = Durations.parse("36500d");
    assertThat(max).isEqualTo(Durations.MAX);
    assertThat(Durations.parse("876000h")).isEqualTo(Durations.MAX);
    assertThat(Durations.format(max)).isEqualTo("36500d");
    assertThat(max.toNanos()).isPositive();
    assertThat(max.multipliedBy(2).toMillis()).isPositive();
    assertThat(java.time.Instant.parse("2026-01-01T00:00:00Z").plus(max).plus(max)).isNotNull();
  }

  @org.junit.jupiter.api.Test
  void formatNeverThrows() {
    assertThat(Durations.format(Duration.ofSeconds(Long.MAX_VALUE))).endsWith("s");
    assertThat(Durations.format(Duration.ofSeconds(Long.MAX_VALUE, 999_000_000)))
        .isEqualTo(Duration.ofSeconds(Long.MAX_VALUE, 999_000_000).toString());
    assertThat(Durations.format(Duration.ofNanos(500))).isEqualTo("PT0.0000005S");
    assertThat(Durations.format(Duration.ofSeconds(-5))).isEqualTo("PT-5S");
    assertThat(Durations.format(Duration.ofDays(1_000_000_000_000L))).isEqualTo("1000000000000d");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1500ms", "90s", "15m", "1d", "30d", "0s", "25h"})
  void formatReadsBack(String text) {
    assertThat(Durations.format(Durations.parse(text))).isEqualTo(text);
  }

  @org.junit.jupiter.api.Test
  void formatPicksTheLargestExactUnit() {
    assertThat(Durations.format(Duration.ofSeconds(300))).isEqualTo("5m");
    assertThat(Durations.format(Duration.ofHours(48))).isEqualTo("2d");
  }
}
