package org.mxtrap.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A mapping of the config file declared as a table of its keys: a section ({@code limits:}), the
 * top level, or the mapping of a list item ({@code layout[]}). The table is the one place that
 * names the section's keys; it drives reading (unknown keys, with a "did you mean"), the defaults,
 * the effective-config printout and the docs check.
 *
 * <p>The build turns the keys into the record {@code S}. It asks {@link Values#get} for each key in
 * the order problems should be reported in, checks the rules across keys there, and may return null
 * ("none", or refused). Stateless after construction; thread-safe.
 *
 * @param name the key path of the mapping ({@code limits}, {@code layout[]}; {@code ""} for the top
 *     level)
 * @param keys every key, in the order the messages list them and the printout shows them
 * @param build the record from the keys
 * @param describe the record as one line of the effective configuration (after {@code name: })
 */
record Section<S>(
    String name,
    List<Key<S, ?>> keys,
    Function<Values, @Nullable S> build,
    Function<S, String> describe) {

  /** A section whose printout is its shown keys, {@code key=value} apart by spaces. */
  static <S> Section<S> of(String name, List<Key<S, ?>> keys, Function<Values, @Nullable S> build) {
    return new Section<>(name, List.copyOf(keys), build, s -> keyValues(keys, s));
  }

  Section<S> describedAs(Function<S, String> how) {
    return new Section<>(name, keys, build, how);
  }

  List<String> names() {
    return keys.stream().map(Key::name).toList();
  }

  /** The section's value as a type: a key of the top level whose value is this section. */
  Type<S> type() {
    return new Type<>(this::read, describe, this);
  }

  /**
   * The record when every key has its default.
   *
   * @throws IllegalStateException when the defaults break the section's own rules, or make no
   *     record (bugs)
   */
  S defaults() {
    NodeReader r = new NodeReader("(defaults)", Path.of(""), null);
    S s = build.apply(new Values(r, keys, Map.of(), name, 0, null, null));
    if (s == null || r.problemCount() > 0) {
      throw new IllegalStateException(name + ": the defaults make no record: " + r.problems());
    }
    return s;
  }

  /**
   * Reads the mapping {@code f}; null when anything in it was reported (or it says "none").
   *
   * @param outer the mapping {@code f} is in
   */
  @Nullable S read(Values outer, Field f) {
    NodeReader r = outer.reader();
    int before = r.problemCount();
    Values v =
        new Values(
            r,
            keys,
            r.fields(f.value(), f.path(), names()),
            f.path(),
            NodeReader.line(f.value()),
            f,
            outer);
    S s = build.apply(v);
    return r.problemCount() > before ? null : s;
  }

  private static <S> String keyValues(List<Key<S, ?>> keys, S s) {
    StringBuilder b = new StringBuilder();
    for (Key<S, ?> k : keys) {
      String shown = k.shown().apply(s);
      if (shown != null) {
        b.append(b.isEmpty() ? "" : " ").append(k.name()).append('=').append(shown);
      }
    }
    return b.toString();
  }
}
