package org.mxtrap.dns;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * One host of a delivery order with the addresses to try, in order.
 *
 * @param preference the MX preference (0 for an implicit MX)
 * @param host the MX target as published, lower case without the final dot
 * @param addresses what to connect to, in order: IPv4 (A) then IPv6 (AAAA), each as the resolver
 *     returned them; empty when none is known or none is left within the limit (see {@code notes})
 * @param notes remarks on this host: a CNAME target, an address literal, a lookup that could not be
 *     made, no address
 */
public record TargetHost(
    int preference, String host, List<InetAddress> addresses, List<Note> notes) {

  public TargetHost {
    Objects.requireNonNull(host, "host");
    addresses = List.copyOf(addresses);
    notes = List.copyOf(notes);
  }

  /** Whether a lookup for this host could not be made. */
  public boolean unknown() {
    return notes.stream().anyMatch(n -> n.kind() == Note.Kind.UNKNOWN_LOOKUP);
  }
}
