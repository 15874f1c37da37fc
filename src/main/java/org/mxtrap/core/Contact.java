package org.mxtrap.core;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;

/**
 * One accepted TCP connection as the trap engine sees it, whatever it is answered.
 *
 * @param client the client's address (IPv4-mapped addresses are unmapped)
 * @param local the address and port it connected to
 * @param entry the layout entry {@code local} belongs to
 * @param at when the connection was accepted
 * @param turnedAway the server's connection limits turn it away whatever the decision (it still
 *     counts as a contact, and may still suppress)
 */
public record Contact(
    InetAddress client,
    InetSocketAddress local,
    LayoutEntry entry,
    Instant at,
    boolean turnedAway) {

  /** A contact the connection limits let in. */
  public Contact(InetAddress client, InetSocketAddress local, LayoutEntry entry, Instant at) {
    this(client, local, entry, at, false);
  }

  public Contact {
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(at, "at");
    client = Addresses.unmap(Objects.requireNonNull(client, "client"));
  }
}
