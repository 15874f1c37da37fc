package org.mxtrap.admin;

import java.time.Instant;

/** The state store (PRODUCT.md {@code state}), as {@code status} shows it. */
@FunctionalInterface
public interface StateStore {

  /**
   * One line: which store; for the shared one, whether it answers now and how fresh this host's
   * mirror of it is. Never throws.
   */
  String describe(Instant now);
}
