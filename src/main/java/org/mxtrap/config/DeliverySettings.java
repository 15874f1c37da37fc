package org.mxtrap.config;

/**
 * Where accepted mail goes. Only {@link Mode#MAILDIR} exists so far; relay and MX forwarding come
 * with later work and are refused by the loader until then.
 */
public record DeliverySettings(Mode mode) {
  public enum Mode {
    /** One Maildir per recipient under {@code DATA_DIR/mail/<domain>/<localpart>/}. */
    MAILDIR
  }

  public static final DeliverySettings DEFAULTS = new DeliverySettings(Mode.MAILDIR);
}
