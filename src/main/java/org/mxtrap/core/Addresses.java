package org.mxtrap.core;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

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

  /**
   * Parses an address literal, never a name (no lookup): IPv4 as a dotted quad without leading
   * zeros, IPv6 in any RFC 4291 text form without zone ID; {@code ::ffff:192.0.2.1} gives the IPv4
   * address. Empty when {@code text} is not one of these.
   */
  public static Optional<InetAddress> parse(String text) {
    byte[] b = text.indexOf(':') >= 0 ? v6(text) : v4(text);
    return b == null ? Optional.empty() : Optional.of(byAddress(b));
  }

  /** The address with these octets (4 or 16), without any lookup. */
  public static InetAddress byAddress(byte[] b) {
    try {
      return InetAddress.getByAddress(b); // no lookup: an address, no host name
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("an address has 4 or 16 octets, not " + b.length, e);
    }
  }

  private static byte @Nullable [] v4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
        return null;
      }
      int v = 0;
      for (int j = 0; j < p.length(); j++) {
        char c = p.charAt(j);
        if (c < '0' || c > '9') {
          return null;
        }
        v = v * 10 + (c - '0');
      }
      if (v > 255) {
        return null;
      }
      b[i] = (byte) v;
    }
    return b;
  }

  private static byte @Nullable [] v6(String s) {
    if (s.indexOf('%') >= 0) {
      return null;
    }
    int gap = s.indexOf("::");
    if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
      return null;
    }
    String head = gap >= 0 ? s.substring(0, gap) : s;
    String tail = gap >= 0 ? s.substring(gap + 2) : "";
    byte[] h = groups(head, gap < 0);
    byte[] t = groups(tail, true);
    if (h == null || t == null) {
      return null;
    }
    if (gap < 0 ? h.length != 16 : h.length + t.length > 14) {
      return null;
    }
    byte[] b = new byte[16];
    System.arraycopy(h, 0, b, 0, h.length);
    System.arraycopy(t, 0, b, 16 - t.length, t.length);
    return b;
  }

  /** Colon-separated hex groups, the last one possibly a dotted quad when {@code last} is set. */
  private static byte @Nullable [] groups(String s, boolean last) {
    if (s.isEmpty()) {
      return new byte[0];
    }
    String[] parts = s.split(":", -1);
    byte[] out = new byte[parts.length * 2 + 2];
    int n = 0;
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (last && i == parts.length - 1 && p.indexOf('.') >= 0) {
        byte[] q = v4(p);
        if (q == null) {
          return null;
        }
        System.arraycopy(q, 0, out, n, 4);
        n += 4;
        continue;
      }
      if (p.isEmpty() || p.length() > 4) {
        return null;
      }
      int v = 0;
      for (int j = 0; j < p.length(); j++) {
        char c = p.charAt(j);
        int d = c < 0x80 ? Character.digit(c, 16) : -1; // ASCII only: digit() knows other scripts
        if (d < 0) {
          return null;
        }
        v = v * 16 + d;
      }
      out[n++] = (byte) (v >> 8);
      out[n++] = (byte) v;
    }
    return Arrays.copyOf(out, n);
  }
}
