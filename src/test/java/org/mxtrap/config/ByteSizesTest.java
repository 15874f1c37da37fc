package org.mxtrap.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizesTest {

  @ParameterizedTest
  @CsvSource({
    "0, 0",
    "1000, 1000",
    "10B, 10",
    "10KB, 10240",
    "50MB, 52428800",
    "1GB, 1073741824",
    "1 MB, 1048576",
    "2kb, 2048",
    "3MiB, 3145728",
    "1GiB, 1073741824"
  })
  void unitsAre1024Based(String text, long expected) {
    assertThat(ByteSizes.parse(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "MB", "-1", "1.5MB", "10TB", "10 K B", "ten"})
  void refusesOtherForms(String text) {
    assertThatThrownBy(() -> ByteSizes.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("KB, MB, GB (1024-based");
  }

  @org.junit.jupiter.api.Test
  void refusesOverflow() {
    assertThatThrownBy(() -> ByteSizes.parse("999999999999999GB"))
        .hasMessageStartingWith("size too large");
  }

  @ParameterizedTest
  @ValueSource(strings = {"50MB", "1GB", "10KB", "1000", "0"})
  void formatReadsBack(String text) {
    assertThat(ByteSizes.format(ByteSizes.parse(text))).isEqualTo(text);
  }
}
