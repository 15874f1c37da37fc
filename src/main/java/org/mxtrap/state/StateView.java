package org.mxtrap.state;

import java.util.Optional;

/**
 * Whether this host's view of the state is whole: every host's contacts, every suppression, and the
 * availability the hosts serving the lower entries recorded. The embedded store's view is always
 * whole. A shared store's is partial from the first call that could not reach it until it has been
 * reached again, has written what this host recorded meanwhile and has read what it missed.
 *
 * <p>On a partial view the trap engine never suppresses on the absence of a contact, nor arms a
 * trap or a backup ({@code state.on_outage: open}), or tempfails ({@code closed}). Thread-safe and
 * cheap: asked on every decision that the lists and suppressions do not settle.
 */
@FunctionalInterface
public interface StateView {

  /** The view of a store that is never away. */
  StateView WHOLE = Optional::empty;

  /**
   * Empty while the view is whole; otherwise why it is partial and since when, in words for the
   * decision's reason and {@code status}: {@code "Redis not answering since 2026-12-06T10:00:00Z
   * (no answer within 300ms)"}.
   */
  Optional<String> partial();
}
