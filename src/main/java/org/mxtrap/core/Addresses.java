package org.mxtrap.core;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Comparison and printing of IP addresses the way mail software writes them. */
public final class Addresses {
  private Addresses() {}

  /**
   * Equality that treats an IPv4-mapped IPv6 address ({@code ::ffff:192.0.2.1}) as the IPv4 address
   * it carries, since a dual-stack socket reports IPv4 peers that way.
   */
  public static boolean sameHost(InetAddress a, InetAddress b) {
    return unmap(a).equals(unmap(b));
  }

  /** The IPv4 address inside an IPv4-mapped IPv6 address; any other address unchanged. */
  public static InetAddress unmap(InetAddress a) {
    if (a instanceof Inet6Address) {
      byte[] b = a.getAddress();
      for (int i = 0; i < 10; i++) {
        if (b[i] != 0) {
          return a;
        }
      }
      if ((b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
        try {
          return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (UnknownHostException e) {
          throw new AssertionError(e);
        }
      }
    }
    return a;
  }

  /**
   * The textual address without a host name or zone: {@code 192.0.2.1}, or IPv6 in the RFC 5952
   * canonical form ({@code 2001:db8::1}: lower case, longest zero run compressed).
   */
  public static String text(InetAddress a) {
    return rfc5952(unmap(a));
  }

  private static String rfc5952(InetAddress a) {
    byte[] b = a.getAddress();
    if (b.length == 4) {
      return a.getHostAddress();
    }
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLength = 1; // a single zero group is not compressed
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        out.append("::");
        i += bestLength - 1;
        continue;
      }
      if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(g[i]));
    }
    return out.toString();
  }

  /** {@code 192.0.2.1:25} or {@code [2001:db8::1]:25}: what {@link #parseSocketAddress} reads. */

  /** {@code 192.0.2.1:25} or {@code [2001:db8::1]:25}. */
  public static String literal(InetAddress a, int port) {
    InetAddress u = unmap(a);
    return (u instanceof Inet4Address ? text(u) : "[" + text(u) + "]") + ":" + port;
  }

  /**
   * The RFC 5321 address literal for Received headers: {@code [192.0.2.1]} or {@code [IPv6:...]}.
   */
  public static String smtpLiteral(InetAddress a) {
    InetAddress u = unmap(a);
    return u instanceof Inet4Address ? "[" + text(u) + "]" : "[IPv6:" + text(u) + "]";
  }
}
