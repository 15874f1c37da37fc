package org.mxtrap.state;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Optional;

/**
 * When each sender identity last contacted each MX preference, and from which address: the memory
 * behind excusing a fallback by who sent it rather than by its address alone (a sender pool that
 * retries from another network). An identity is a string naming its kind and value, such as {@code
 * "ptr:google.com"} (the registered domain of a forward-confirmed reverse name). Of the contacts of
 * an identity at one preference, the latest is kept.
 *
 * <p>Memory is bounded: past its capacity the identity seen least recently is evicted (and
 * counted). Contacts older than the trap window are worthless and may be dropped at any time.
 * Thread-safe; {@link #record} is called on every connection whose sender has an identity.
 */
public interface IdentityHistory {

  /** The latest contact of an identity at one preference. */
  record Sighting(InetAddress client, Instant at) {}

  /**
   * Records that {@code identity}, from {@code client}, reached {@code preference} at {@code at}.
   */
  void record(String identity, InetAddress client, int preference, Instant at);

  /**
   * The latest contact of {@code identity} at a preference strictly lower than {@code preference},
   * at or after {@code since}.
   */
  Optional<Sighting> lastBelow(String identity, int preference, Instant since);

  /** How many identities were evicted to keep within capacity, since start. */
  long evictions();
}
