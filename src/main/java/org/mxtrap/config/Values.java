package org.mxtrap.config;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The keys of one mapping of the file, read on demand: {@link #get} reads a key the first time it
 * is asked for, so problems are reported in the order a section's build asks for its keys. Every
 * key is read at most once. Not thread-safe.
 */
final class Values {
  private final NodeReader reader;
  private final List<? extends Key<?, ?>> keys;
  private final Map<String, Field> fields;
  private final String path;
  private final int line;
  private final @Nullable Field mapping;
  private final @Nullable Values outer;
  private final Map<Key<?, ?>, @Nullable Object> read = new IdentityHashMap<>();
  private final Set<Key<?, ?>> failed = Collections.newSetFromMap(new IdentityHashMap<>());

  /**
   * @param keys the keys the mapping may have
   * @param fields the keys the file gives, by name (the others were reported)
   * @param path the mapping's key path, {@code ""} for the top level
   * @param line the mapping's line, where a missing key is reported
   * @param mapping the mapping's own field; null for the top level
   * @param outer the mapping this one is in; null for the top level
   */
  Values(
      NodeReader reader,
      List<? extends Key<?, ?>> keys,
      Map<String, Field> fields,
      String path,
      int line,
      @Nullable Field mapping,
      @Nullable Values outer) {
    this.reader = reader;
    this.keys = keys;
    this.fields = fields;
    this.path = path;
    this.line = line;
    this.mapping = mapping;
    this.outer = outer;
  }

  NodeReader reader() {
    return reader;
  }

  /** The mapping this one is in (the top level for a section). */
  Values outer() {
    if (outer == null) {
      throw new IllegalStateException("the top level is in no other mapping");
    }
    return outer;
  }

  /** The mapping's own field: a section, a list item; null for the top level. */
  @Nullable Field mapping() {
    return mapping;
  }

  /** The 1-based line of the mapping. */
  int line() {
    return line;
  }

  /** Whether the file gives {@code key}. */
  boolean given(Key<?, ?> key) {
    return fields.containsKey(key.name());
  }

  /** Where the file gives {@code key}; null when it does not. */
  @Nullable Field field(Key<?, ?> key) {
    return fields.get(key.name());
  }

  /**
   * The value of {@code key}, read now if it was not yet: as given, or its default when absent. A
   * key that could not be read (reported) gives what its reader still made of it, else its
   * fallback; such a mapping is refused anyway, so these only let reading go on.
   */
  // The cast: read holds for every key a value of that key's type. Null: only for a key whose
  // default is null (an optional value), which its section stores in a @Nullable component.
  @SuppressWarnings({"unchecked", "NullAway"})
  <T> T get(Key<?, T> key) {
    if (read.containsKey(key)) {
      return (T) read.get(key);
    }
    Field f = fields.get(key.name());
    T value;
    if (f == null) {
      if (key.required() != null) {
        reportMissing(key);
        failed.add(key);
      }
      value = key.fallback();
    } else {
      int before = reader.problemCount();
      T t = key.type().reader().read(this, f);
      if (reader.problemCount() > before) {
        failed.add(key);
      }
      value = t != null ? t : key.fallback();
    }
    read.put(key, value);
    return value;
  }

  /** Whether every one of {@code keys} (read now if not yet) has a value without problems. */
  boolean valid(Key<?, ?>... keys) {
    for (Key<?, ?> k : keys) {
      get(k);
    }
    for (Key<?, ?> k : keys) {
      if (failed.contains(k)) {
        return false;
      }
    }
    return true;
  }

  /** Whether any key read so far had a problem. */
  boolean failed() {
    return !failed.isEmpty();
  }

  /** Reports every required key the file leaves out, in the order of the keys, before any read. */
  void checkRequired() {
    for (Key<?, ?> k : keys) {
      if (k.required() != null && !given(k) && !read.containsKey(k)) {
        get(k);
      }
    }
  }

  private void reportMissing(Key<?, ?> key) {
    String why = key.required();
    reader.error(
        line,
        path.isEmpty() ? key.name() : path + "." + key.name(),
        "required key is missing" + (why == null || why.isEmpty() ? "" : " (" + why + ")"));
  }
}
