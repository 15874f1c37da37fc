package org.mxtrap.config;

import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Where accepted mail goes. Only {@link Mode#MAILDIR} exists so far; relay and MX forwarding come
 * with later work and are refused by the loader until then.
 */
public record DeliverySettings(Mode mode) {
  public enum Mode {
    /** One Maildir per recipient under {@code DATA_DIR/mail/<domain>/<localpart>/}. */
    MAILDIR
  }

  static final Key<DeliverySettings, Mode> MODE =
      Key.of(
          "mode",
          Type.of(DeliverySettings::mode, m -> m.name().toLowerCase(Locale.ROOT)),
          Mode.MAILDIR,
          DeliverySettings::mode);

  static final Section<DeliverySettings> SECTION =
      Section.of("delivery", List.of(MODE), v -> new DeliverySettings(v.get(MODE)))
          .describedAs(d -> MODE.type().show().apply(d.mode()));

  public static final DeliverySettings DEFAULTS = SECTION.defaults();

  /** {@code delivery.mode}: the modes of PRODUCT.md that are not built yet are refused. */
  private static @Nullable Mode mode(Values in, Field f) {
    String mode = in.reader().text(f);
    if (mode == null) {
      return null;
    }
    switch (mode) {
      case "maildir" -> {
        return Mode.MAILDIR;
      }
      case "relay", "mx" ->
          in.reader()
              .error(
                  f,
                  mode
                      + ": not supported yet in this version ("
                      + (mode.equals("relay") ? "relay delivery" : "forwarding by MX")
                      + " is not built); use maildir");
      default -> in.reader().error(f, "unknown delivery mode: " + mode + "; use maildir");
    }
    return null;
  }
}
