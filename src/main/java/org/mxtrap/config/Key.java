package org.mxtrap.config;

import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One key of a mapping in the config file, declared once: its name, the type of its value (how it
 * is read, checked and shown), its default, and where its value lives in the record {@code S} the
 * mapping becomes. {@link Section} reads a mapping through its keys; {@link
 * MxtrapConfig#describe()} shows them; the tests check that the documentation and the example file
 * name every one.
 *
 * @param name the key as written in the file
 * @param fallback the default, when the key is absent; for a required key, the value reading goes
 *     on with after reporting it missing (null: nothing to go on with)
 * @param required null for an optional key; else why it is needed, for the message when it is
 *     missing ({@code ""}: no reason given)
 * @param shown the value in the effective configuration, from the record; null: not shown
 */
record Key<S, T>(
    String name,
    Type<T> type,
    @Nullable T fallback,
    @Nullable String required,
    Function<S, @Nullable String> shown) {

  /**
   * An optional key.
   *
   * @param fallback its default (null: none, and then it is shown only when given)
   * @param value where the value lives in the section's record
   */
  static <S, T> Key<S, T> of(
      String name, Type<T> type, @Nullable T fallback, Function<S, @Nullable T> value) {
    return new Key<>(
        name,
        type,
        fallback,
        null,
        s -> {
          T v = value.apply(s);
          return v == null ? null : type.show().apply(v);
        });
  }

  /**
   * A key that must be given; never shown on its own (its section shows what it became).
   *
   * @param why why it is needed, for the message when it is missing ({@code ""}: no reason given)
   * @param fallback the value reading goes on with after reporting it missing
   */
  static <S, T> Key<S, T> required(String name, Type<T> type, String why, @Nullable T fallback) {
    return new Key<>(name, type, fallback, why, s -> null);
  }

  /** The same key, shown in the effective configuration as {@code show} says. */
  Key<S, T> shownAs(Function<S, @Nullable String> show) {
    return new Key<>(name, type, fallback, required, show);
  }
}
