package org.mxtrap.dns;

import java.net.InetAddress;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.mxtrap.core.Addresses;

/**
 * The names and addresses by which an MX host recognizes itself in a domain's MX list, for the rule
 * for MX hosts that forward mail (RFC 5321 5.1). {@link #NONE} for a sender that is no MX host.
 *
 * @param names host names, compared without case and without the final dot
 * @param addresses addresses; an IPv4-mapped IPv6 address counts as its IPv4 address
 */
public record ThisHost(Set<String> names, Set<InetAddress> addresses) {

  /** A sender that is none of the domain's MX hosts. */
  public static final ThisHost NONE = new ThisHost(Set.of(), Set.of());

  public ThisHost {
    names = names.stream().map(ThisHost::canonical).collect(Collectors.toUnmodifiableSet());
    addresses = addresses.stream().map(Addresses::unmap).collect(Collectors.toUnmodifiableSet());
  }

  /** Whether {@code host} is one of this host's names. */
  public boolean named(String host) {
    return names.contains(canonical(host));
  }

  /** Whether {@code address} is one of this host's addresses. */
  public boolean has(InetAddress address) {
    return addresses.contains(Addresses.unmap(address));
  }

  private static String canonical(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") && n.length() > 1 ? n.substring(0, n.length() - 1) : n;
  }
}
