package org.mxtrap.state;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.mxtrap.core.Cidr;

/**
 * When each client network last contacted each MX preference. A client address is reduced to its
 * network by the configured excuse prefixes ({@code trap.excuse_prefix_v4}, {@code _v6}) before it
 * is stored or looked up, so a contact from any address of the network excuses every other; an
 * IPv4-mapped IPv6 address counts as the IPv4 address it carries. Of the contacts of a network at
 * one preference, the latest is kept.
 *
 * <p>Memory is bounded: past its capacity the network contacted least recently is evicted (and
 * counted). Contacts older than the trap window are worthless and may be dropped at any time.
 * Thread-safe; {@link #record} is called on every connection and must be cheap.
 *
 * <p>{@code ContactHistoryContract} in the tests holds every implementation to this.
 */
public interface ContactHistory {

  /** Records that {@code client} connected to an entry of {@code preference} at {@code at}. */
  void record(InetAddress client, int preference, Instant at);

  /**
   * The latest contact from {@code client}'s network at a preference strictly lower than {@code
   * preference}, at or after {@code since}.
   */
  Optional<Instant> lastBelow(InetAddress client, int preference, Instant since);

  /**
   * The last contact time per preference of {@code client}'s network, in ascending order of
   * preference, for {@code explain}.
   */
  Map<Integer, Instant> contacts(InetAddress client);

  /** How many networks were evicted to keep within capacity, since start. */
  long evictions();

  /**
   * Drops the contacts older than the trap window before {@code now}, which no lookup needs any
   * more (a store that expires them by itself may do nothing). Lookups never depend on it, being
   * bounded by their own {@code since}. Call it every few minutes.
   */
  void maintain(Instant now);

  /**
   * The last contact of a client network at one MX preference, as {@link #each} lists it and {@link
   * #restore} takes it.
   *
   * @param network the client's address masked to the excuse prefix of the history that recorded it
   */
  record Contact(Cidr network, int preference, Instant at) {}

  /**
   * Hands every contact at or after {@code since} to {@code sink}: what {@code mxtrap state export}
   * writes. Networks come in no particular order, the contacts of one in ascending order of
   * preference, each (network, preference) once. The history is read a part at a time (a shard, a
   * batch of networks), never copied whole, and {@code sink} runs with no lock held, so recording
   * goes on meanwhile; a contact recorded during the walk may or may not be included.
   *
   * @throws UncheckedIOException when a shared store cannot be read within its deadline; {@code
   *     sink} has then had part of the history
   */
  void each(Instant since, Consumer<Contact> sink);

  /**
   * Records a contact that another history exported, as {@link #record} would record one from an
   * address of {@code contact.network()}: a later time than the one held wins. A network narrower
   * than this history's excuse prefix is widened to it, as a contact from its address would be.
   *
   * @throws IllegalArgumentException when the network is wider than this history's excuse prefix of
   *     its family (which of its addresses made the contact is not known, and recording one of them
   *     would excuse an address that may never have called), or as {@link #record} throws (a
   *     preference not in the layout)
   */
  void restore(Contact contact);
}
