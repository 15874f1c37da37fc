package org.mxtrap.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "plain",
        "quote \" and \\ backslash",
        "lines\r\n\ttab",
        "\u0001\u001f",
        "é ✓ 😀",
        "\u2028\u2029"
      })
  void unquoteReadsBackWhatQuoteWrote(String s) {
    assertThat(Json.unquote(Json.quote(s))).isEqualTo(s);
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"\\/\\b\\f\\u00e9\\u00E9\""})
  void unquoteReadsEveryEscapeOfRfc8259(String literal) {
    assertThat(Json.unquote(literal)).isEqualTo("/\b\féé");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "\"",
        "abc",
        "\"a\"b\"",
        "\"\\\"",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\u-001\"",
        "\"\\u+0ab\"",
        "\"tab\tinside\""
      })
  void unquoteRefusesWhatIsNotOneStringLiteral(String literal) {
    assertThatThrownBy(() -> Json.unquote(literal)).isInstanceOf(IllegalArgumentException.class);
  }
}
