package org.mxtrap.config;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where the trap engine's memory lives (PRODUCT.md {@code state}). Only the embedded store exists:
 * {@code DATA_DIR/state/}.
 *
 * @param maxContacts client networks the contact history holds at most; beyond, the one seen least
 *     recently is forgotten (and counted, and logged)
 */
public record StateSettings(int maxContacts) {

  /** The only store built: {@code redis} (PRODUCT.md) is refused until it is. */
  private static final String LOCAL = "local";

  static final Key<StateSettings, String> STORE =
      Key.of("store", Type.of(StateSettings::store, s -> s), LOCAL, s -> LOCAL);
  static final Key<StateSettings, Integer> MAX_CONTACTS =
      Key.of("max_contacts", Type.positiveInteger(), 1_000_000, StateSettings::maxContacts);

  static final Section<StateSettings> SECTION =
      Section.of(
          "state",
          List.of(STORE, MAX_CONTACTS),
          v -> {
            StateSettings s = new StateSettings(v.get(MAX_CONTACTS));
            v.get(STORE);
            return s;
          });

  public static final StateSettings DEFAULTS = SECTION.defaults();

  private static @Nullable String store(Values in, Field f) {
    String store = in.reader().text(f);
    if (store == null) {
      return null;
    }
    switch (store) {
      case LOCAL -> {
        return LOCAL;
      }
      case "redis" ->
          in.reader()
              .error(
                  f,
                  "redis: not supported yet in this version (the shared Redis store is not built);"
                      + " use local");
      default -> in.reader().error(f, "unknown state store: " + store + "; use local");
    }
    return null;
  }
}
