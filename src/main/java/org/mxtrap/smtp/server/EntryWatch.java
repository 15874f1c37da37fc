package org.mxtrap.smtp.server;

import org.mxtrap.core.LayoutEntry;

/**
 * Told when a layout entry starts and stops turning every new connection away (its {@code
 * limits.max_connections} is reached): such a period counts as unavailability of the entry, which
 * disarms the traps above it. Called on connection threads; must be quick and must not throw.
 */
public interface EntryWatch {

  /** {@code e} refused a connection because it is full; not called again until it has room. */
  void turningAway(LayoutEntry e, String why);

  /** {@code e} has room again after {@link #turningAway}. */
  void servingAgain(LayoutEntry e);
}
