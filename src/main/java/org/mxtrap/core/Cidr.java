package org.mxtrap.core;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An IP network prefix, {@code 203.0.113.0/24} or {@code 2001:db8::/32}, as allow and block lists
 * and prefix suppression use them.
 *
 * <p>Syntax ({@link #parse}): {@code ADDRESS/LENGTH}, or a bare address meaning that one address
 * ({@code /32} or {@code /128}). The address must have no bits set beyond the prefix length ({@code
 * 192.0.2.1/24} is refused rather than silently widened). An IPv4-mapped prefix ({@code
 * ::ffff:192.0.2.0/120}) is the IPv4 prefix it carries ({@code 192.0.2.0/24}); its length must be
 * at least 96. No DNS lookups.
 *
 * @param network the first address of the prefix (host bits zero); IPv4 or IPv6
 * @param length the prefix length: 0..32 for IPv4, 0..128 for IPv6
 */
public record Cidr(InetAddress network, int length) {

  public Cidr {
    Objects.requireNonNull(network, "network");
    network = Addresses.unmap(network);
    int bits = network.getAddress().length * 8;
    if (length < 0 || length > bits) {
      throw new IllegalArgumentException("prefix length out of range 0.." + bits + ": " + length);
    }
    if (!masked(network.getAddress(), length).equals(network)) {
      throw new IllegalArgumentException(
          "host bits set in " + Addresses.text(network) + "/" + length);
    }
  }

  /**
   * Parses {@code ADDRESS/LENGTH} or a bare address.
   *
   * @throws IllegalArgumentException with a message fit for the user
   */
  public static Cidr parse(String text) {
    String s = text.strip();
    int slash = s.indexOf('/');
    String addressText = slash < 0 ? s : s.substring(0, slash);
    InetAddress address =
        Addresses.parse(addressText)
            .orElseThrow(() -> new IllegalArgumentException("not a CIDR prefix: " + s));
    boolean writtenV6 = addressText.indexOf(':') >= 0;
    int max = writtenV6 ? 128 : 32;
    int length = max;
    if (slash >= 0) {
      String l = s.substring(slash + 1);
      if (l.isEmpty() || l.length() > 3 || !l.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new IllegalArgumentException("not a CIDR prefix: " + s);
      }
      length = Integer.parseInt(l);
      if (length > max) {
        throw new IllegalArgumentException("prefix length out of range 0.." + max + " in " + s);
      }
    }
    if (writtenV6 && address instanceof Inet4Address) { // IPv4-mapped
      if (length < 96) {
        throw new IllegalArgumentException(
            "an IPv4-mapped prefix needs a length of at least 96: " + s);
      }
      length -= 96;
    }
    InetAddress network = masked(address.getAddress(), length);
    if (!network.equals(address)) {
      throw new IllegalArgumentException(
          "host bits set in "
              + s
              + " (the network is "
              + Addresses.text(network)
              + "/"
              + length
              + ")");
    }
    return new Cidr(network, length);
  }

  /**
   * Whether {@code address} lies in this prefix. An IPv4-mapped IPv6 address is judged as the IPv4
   * address it carries; IPv4 and IPv6 prefixes never contain each other's addresses.
   */
  public boolean contains(InetAddress address) {
    byte[] a = Addresses.unmap(address).getAddress();
    byte[] n = network.getAddress();
    if (a.length != n.length) {
      return false;
    }
    return masked(a, length).equals(network);
  }

  /**
   * The prefix of {@code length} bits that contains {@code address} (an IPv4-mapped address counts
   * as IPv4); a length beyond the address family's width is the whole address.
   */
  public static Cidr of(InetAddress address, int length) {
    byte[] a = Addresses.unmap(address).getAddress();
    int l = Math.min(length, a.length * 8);
    return new Cidr(masked(a, l), l);
  }

  /** True for an IPv4 prefix. */
  public boolean isV4() {
    return network.getAddress().length == 4;
  }

  private static InetAddress masked(byte[] bytes, int length) {
    byte[] b = bytes.clone();
    for (int i = 0; i < b.length; i++) {
      int keep = Math.max(0, Math.min(8, length - i * 8));
      b[i] &= (byte) (0xff00 >> keep);
    }
    return Addresses.byAddress(b);
  }

  /** {@code 192.0.2.0/24}, {@code 2001:db8::/32}: what {@link #parse} reads back. */
  @Override
  public String toString() {
    return Addresses.text(network) + "/" + length;
  }
}
