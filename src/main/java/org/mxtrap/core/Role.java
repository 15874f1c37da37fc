package org.mxtrap.core;

import java.util.Locale;

/** The part a layout entry plays in the domain's MX layout (PRODUCT.md, "Roles"). */
public enum Role {
  /** The preferred MX: accepts, applies policy, delivers to the final store. */
  PRIMARY,
  /** A fallback MX on another machine: same policy, queues and forwards to the primary. */
  BACKUP,
  /** An address published at the highest MX numbers to catch senders that skip the order. */
  TRAP;

  /** The lower-case name used in config, logs and stored metadata. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@link #label()}; throws IllegalArgumentException for anything else. */
  public static Role parse(String label) {
    for (Role r : values()) {
      if (r.label().equals(label)) {
        return r;
      }
    }
    throw new IllegalArgumentException("not a role: " + label);
  }
}
