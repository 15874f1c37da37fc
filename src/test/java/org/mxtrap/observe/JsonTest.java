package org.mxtrap.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.core.Verdict;

class JsonTest {

  /** Strings with every kind of character a JSON string escapes, and some it does not. */
  static List<String> strings() {
    return List.of(
        "",
        "plain",
        "quote \" and \\ backslash",
        "lines\r\n\ttab\b\f",
        "\u0001\u001f\u007f",
        "é ✓ 😀",
        "\u2028\u2029",
        "<html> & 'quotes' =");
  }

  @ParameterizedTest
  @MethodSource("strings")
  void readReadsBackWhatWriteWrote(String s) {
    assertThat(Json.read(Json.write(s), String.class)).isEqualTo(s);
  }

  @ParameterizedTest
  @MethodSource("strings")
  void quoteEscapesAsWriteDoes(String s) {
    assertThat(Json.quote(new StringBuilder("x"), s).toString()).isEqualTo("x" + Json.write(s));
  }

  @Test
  void stringsEscapeControlCharactersAndNothingElse() {
    assertThat(Json.write("a\u0001b\\c\"d\te")).isEqualTo("\"a\\u0001b\\\\c\\\"d\\te\"");
    assertThat(Json.write("\u2028 <a href='x'>&</a> é"))
        .isEqualTo("\"\\u2028 <a href='x'>&</a> é\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"\\/\\b\\f\\u00e9\\u00E9\""})
  void readReadsEveryEscapeOfRfc8259(String literal) {
    assertThat(Json.read(literal, String.class)).isEqualTo("/\b\féé");
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
  void readRefusesWhatIsNotOneStringLiteral(String literal) {
    assertThatThrownBy(() -> Json.read(literal, String.class))
        .isInstanceOf(IllegalArgumentException.class);
  }

  record Inner(String reason, @Nullable Instant until, @Json.OmitIfNull @Nullable String ptr) {}

  record Outer(
      Instant time,
      InetAddress client,
      @Json.Inline LayoutEntry entry,
      Verdict verdict,
      @Json.Inline Inner inner,
      List<InetAddress> addresses,
      @Nullable String none) {}

  @Test
  void aRecordIsItsComponentsInOrderWithTheProductsFormats() {
    LayoutEntry trap =
        new LayoutEntry(
            30, "mx2.example.test", Addresses.parse("2001:db8::30").orElseThrow(), 25, Role.TRAP);
    Outer o =
        new Outer(
            Instant.parse("2026-11-26T22:31:04.120Z"),
            Addresses.parse("::ffff:192.0.2.7").orElseThrow(),
            trap,
            Verdict.MX_SKIP,
            new Inner("why", null, null),
            List.of(Addresses.parse("2001:0db8:0:0:0:0:0:1").orElseThrow()),
            null);
    assertThat(Json.write(o))
        .isEqualTo(
            "{\"time\":\"2026-11-26T22:31:04.120Z\",\"client\":\"192.0.2.7\","
                + "\"address\":\"[2001:db8::30]:25\",\"preference\":30,\"host\":\"mx2.example.test\","
                + "\"role\":\"trap\",\"verdict\":\"mx-skip\",\"reason\":\"why\",\"until\":null,"
                + "\"addresses\":[\"2001:db8::1\"],\"none\":null}");
    assertThat(Json.write(new Inner("r", Instant.EPOCH, "mail.example.net")))
        .isEqualTo(
            "{\"reason\":\"r\",\"until\":\"1970-01-01T00:00:00Z\",\"ptr\":\"mail.example.net\"}");
  }

  record SnakeCase(String armsAt, boolean asConfigured) {}

  @Test
  void namesAreSnakeCaseAndRecordsReadBack() {
    String json = Json.write(new SnakeCase("x", true));
    assertThat(json).isEqualTo("{\"arms_at\":\"x\",\"as_configured\":true}");
    assertThat(Json.read(json, SnakeCase.class)).isEqualTo(new SnakeCase("x", true));
  }
}
