package org.mxtrap.core;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One MX record of the domain's layout together with the address and port that serve it. The same
 * layout is configured on every host; a connection's role is found by matching its local address
 * and port against these entries.
 */
public record LayoutEntry(int preference, String host, InetAddress address, int port, Role role) {

  public LayoutEntry {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(role, "role");
    if (preference < 0 || preference > 65535) {
      throw new IllegalArgumentException("preference out of range: " + preference);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(address, port);
  }

  /**
   * Whether a listener bound to {@code listen} receives this entry's connections: {@code 0.0.0.0:P}
   * those of every IPv4 entry on port P, {@code [::]:P} those of every entry on port P (sockets are
   * dual-stack), and a specific address only those of the entry with that address and port.
   */
  public boolean receivedOn(InetSocketAddress listen) {
    if (listen.getPort() != port) {
      return false;
    }
    InetAddress l = listen.getAddress();
    if (l.isAnyLocalAddress()) {
      return !(l instanceof Inet4Address) || address instanceof Inet4Address;
    }
    return Addresses.sameHost(l, address);
  }

  /** True when a connection that arrived on {@code local} belongs to this entry. */
  public boolean servesLocal(InetSocketAddress local) {
    return local.getPort() == port && Addresses.sameHost(local.getAddress(), address);
  }

  /** {@code "MX 30 mx2.example.com [192.0.2.30]:25 trap"}, for logs and summaries. */
  public String describe() {
    return "MX "
        + preference
        + " "
        + host
        + " "
        + Addresses.literal(address, port)
        + " "
        + role.label();
  }
}
