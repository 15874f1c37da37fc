package org.mxtrap.core;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One accepted TCP connection as the trap engine sees it, whatever it is answered.
 *
 * @param client the client's address (IPv4-mapped addresses are unmapped)
 * @param local the address and port it connected to
 * @param entry the layout entry {@code local} belongs to
 * @param at when the connection was accepted
 * @param turnedAway the server's connection limits turn it away whatever the decision (it still
 *     counts as a contact, and may still suppress)
 * @param relay the trusted relay that named {@code client} as the one it received a message from
 *     (XCLIENT, or the Received header it added), or null when {@code client} itself connected
 */
public record Contact(
    InetAddress client,
    InetSocketAddress local,
    LayoutEntry entry,
    Instant at,
    boolean turnedAway,
    @Nullable InetAddress relay) {

  /** A contact the connection limits let in. */
  public Contact(InetAddress client, InetSocketAddress local, LayoutEntry entry, Instant at) {
    this(client, local, entry, at, false, null);
  }

  /** A client that connected itself. */
  public Contact(
      InetAddress client,
      InetSocketAddress local,
      LayoutEntry entry,
      Instant at,
      boolean turnedAway) {
    this(client, local, entry, at, turnedAway, null);
  }

  /**
   * A client a trusted relay named: it reached us through {@code relay}, which connected to {@code
   * local}.
   */
  public static Contact relayed(
      InetAddress client,
      InetAddress relay,
      InetSocketAddress local,
      LayoutEntry entry,
      Instant at) {
    return new Contact(client, local, entry, at, false, Objects.requireNonNull(relay, "relay"));
  }

  public Contact {
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(at, "at");
    client = Addresses.unmap(Objects.requireNonNull(client, "client"));
    relay = relay == null ? null : Addresses.unmap(relay);
  }
}
