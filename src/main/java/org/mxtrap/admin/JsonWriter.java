package org.mxtrap.admin;

import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.mxtrap.observe.Json;

/**
 * Writes one compact JSON value: the admin API's response bodies. Names and strings are quoted by
 * {@link Json#quote}; times are ISO-8601 UTC strings ({@link Instant#toString()}). The caller keeps
 * the nesting right; the writer only places the commas. Not thread-safe.
 */
final class JsonWriter {
  private final StringBuilder b = new StringBuilder(256);
  private boolean comma; // the next value or name follows a value: separate it

  JsonWriter beginObject() {
    separate();
    b.append('{');
    comma = false;
    return this;
  }

  JsonWriter endObject() {
    b.append('}');
    comma = true;
    return this;
  }

  JsonWriter beginArray() {
    separate();
    b.append('[');
    comma = false;
    return this;
  }

  JsonWriter endArray() {
    b.append(']');
    comma = true;
    return this;
  }

  /** The name of the next member of the current object. */
  JsonWriter name(String name) {
    separate();
    b.append(Json.quote(name)).append(':');
    comma = false;
    return this;
  }

  JsonWriter value(@Nullable String s) {
    return raw(s == null ? "null" : Json.quote(s));
  }

  JsonWriter value(@Nullable Instant t) {
    return value(t == null ? null : t.toString());
  }

  JsonWriter value(long n) {
    return raw(Long.toString(n));
  }

  JsonWriter value(boolean v) {
    return raw(Boolean.toString(v));
  }

  JsonWriter field(String name, @Nullable String s) {
    return name(name).value(s);
  }

  JsonWriter field(String name, @Nullable Instant t) {
    return name(name).value(t);
  }

  JsonWriter field(String name, long n) {
    return name(name).value(n);
  }

  JsonWriter field(String name, boolean v) {
    return name(name).value(v);
  }

  private JsonWriter raw(String literal) {
    separate();
    b.append(literal);
    comma = true;
    return this;
  }

  private void separate() {
    if (comma) {
      b.append(',');
    }
  }

  @Override
  public String toString() {
    return b.toString();
  }
}
