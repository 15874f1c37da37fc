package org.mxtrap.config;

import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Who is accepted at RCPT (PRODUCT.md {@code recipients}).
 *
 * @param mode how a recipient in one of our domains is checked
 * @param file {@link Mode#LIST}: the file of addresses and {@code @domain} lines (syntax: {@link
 *     RecipientFile}), absolute; null otherwise
 * @param maxUnknown unknown recipients one client may ask for in a session; at this many it is
 *     suppressed as a dictionary attacker
 */
public record RecipientSettings(Mode mode, @Nullable Path file, int maxUnknown) {
  public enum Mode {
    /** Every local part of our domains is a mailbox (a Maildir is made on first delivery). */
    ANY,
    /** Only the addresses (and the catch-all domains) in {@code file}. */
    LIST
  }

  public static final RecipientSettings DEFAULTS = new RecipientSettings(Mode.ANY, null, 10);

  public RecipientSettings {
    Objects.requireNonNull(mode, "mode");
    if ((mode == Mode.LIST) != (file != null)) {
      throw new IllegalArgumentException("a file goes with mode list, and only with it: " + mode);
    }
    if (maxUnknown < 1) {
      throw new IllegalArgumentException("maxUnknown must be positive: " + maxUnknown);
    }
  }
}
