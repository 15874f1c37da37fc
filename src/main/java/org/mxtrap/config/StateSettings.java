package org.mxtrap.config;

/**
 * Where the trap engine's memory lives (PRODUCT.md {@code state}). Only the embedded store exists:
 * {@code DATA_DIR/state/}.
 *
 * @param maxContacts client networks the contact history holds at most; beyond, the one seen least
 *     recently is forgotten (and counted, and logged)
 */
public record StateSettings(int maxContacts) {
  public static final StateSettings DEFAULTS = new StateSettings(1_000_000);
}
