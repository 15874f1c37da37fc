package org.mxtrap.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DomainNamesTest {

  @ParameterizedTest
  @CsvSource({
    "example.com, example.com",
    "Mail.Example.COM., mail.example.com",
    "localhost, localhost",
    "a-b.c0.example, a-b.c0.example",
    "bücher.example, xn--bcher-kva.example"
  })
  void canonicalForm(String text, String expected) {
    assertThat(DomainNames.canonical(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        ".",
        "a..b",
        ".a",
        "-a.com",
        "a-.com",
        "a_b.com",
        "a b.com",
        "192.0.2.1",
        "exa!mple.com",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"
      })
  void refuses(String text) {
    assertThatThrownBy(() -> DomainNames.canonical(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a valid domain name: " + text);
  }
}
