package org.mxtrap.admin;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The parameters of a request's query string ({@code application/x-www-form-urlencoded}, UTF-8). A
 * parameter given twice, or one the endpoint does not know, is refused rather than guessed at.
 */
record Query(Map<String, String> params) {

  Query {
    params = Map.copyOf(params);
  }

  /**
   * Parses the raw (still percent-encoded) query, null when the URI has none.
   *
   * @throws ApiException 400 for a malformed or repeated parameter
   */
  static Query parse(@Nullable String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return new Query(out);
    }
    for (String pair : raw.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      if (out.putIfAbsent(name, value) != null) {
        throw ApiException.badRequest("parameter " + name + " given twice");
      }
    }
    return new Query(out);
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("malformed query string: " + e.getMessage());
    }
  }

  /**
   * Refuses any parameter but {@code known}.
   *
   * @throws ApiException 400 naming the unknown parameter
   */
  Query only(String... known) {
    List<String> names = List.of(known);
    for (String name : params.keySet()) {
      if (!names.contains(name)) {
        throw ApiException.badRequest(
            "unknown parameter "
                + name
                + (names.isEmpty() ? ": this endpoint takes none" : "; known: " + names));
      }
    }
    return this;
  }

  /** The parameter's value, which must be present and not blank. */
  String require(String name) {
    String v = params.get(name);
    if (v == null || v.isBlank()) {
      throw ApiException.badRequest("missing parameter " + name);
    }
    return v.strip();
  }

  /** The parameter's value, if given (an empty value counts as given). */
  Optional<String> get(String name) {
    return Optional.ofNullable(params.get(name)).map(String::strip);
  }
}
