package org.mxtrap.admin;

import java.time.Instant;
import java.util.function.Consumer;

/**
 * The host's contacts and suppressions as {@code GET} and {@code POST /state} move them, in the
 * lines of {@link StateLines}. Thread-safe; the server goes on serving meanwhile.
 */
public interface StateTransfer {

  /** Hands {@code sink} every suppression that still counts at {@code now}, by prefix. */
  void suppressions(Instant now, Consumer<StateLines.Suppression> sink);

  /**
   * Hands {@code sink} every contact within the trap window before {@code now}, a part at a time.
   *
   * @throws java.io.UncheckedIOException when a shared store cannot be read part way
   */
  void contacts(Instant now, Consumer<StateLines.Contact> sink);

  /**
   * Stores {@code s} (checked by {@link StateLines.Reader}), merged with the host's suppression of
   * the same prefix: the one that ends later, with the larger offence count.
   *
   * @return false, and nothing stored, when it counts for nothing any more at {@code now}
   * @throws java.io.UncheckedIOException when the store cannot be written
   */
  boolean restore(StateLines.Suppression s, Instant now);

  /**
   * Records {@code c} (checked by {@link StateLines.Reader}) as a contact from its network, the
   * later time of it and the host's kept.
   *
   * @return false, and nothing recorded, when it is older than the trap window before {@code now}
   * @throws IllegalArgumentException when this host cannot take it: its preference is not in the
   *     layout, or its network is wider than the host's excuse prefix
   * @throws java.io.UncheckedIOException when the store cannot be written
   */
  boolean restore(StateLines.Contact c, Instant now);
}
