package org.mxtrap.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;

/**
 * Parses IP address literals without ever asking DNS ({@link InetAddress#getByName} would resolve
 * anything that is not a literal, so a typo could block start-up on a lookup).
 *
 * <p>IPv4 is dotted-quad only: four decimal parts 0..255, no leading zeros (some resolvers read
 * {@code 010} as octal). IPv6 is any RFC 4291 text form, including {@code ::} compression and a
 * trailing dotted quad; zone IDs ({@code %eth0}) are refused. An IPv4-mapped IPv6 address ({@code
 * ::ffff:192.0.2.1}) is returned as the IPv4 address it carries, which is how the JDK reports such
 * peers on a dual-stack socket.
 */
public final class IpLiterals {
  private IpLiterals() {}

  /**
   * An IPv4 or IPv6 address literal; IPv6 may be given in brackets.
   *
   * @throws IllegalArgumentException {@code "not an IP address: TEXT"}
   */
  public static InetAddress parseAddress(String text) {
    String s = text.strip();
    if (s.startsWith("[") && s.endsWith("]") && s.length() > 2) {
      s = s.substring(1, s.length() - 1);
    }
    byte[] b = s.indexOf(':') >= 0 ? v6(s) : v4(s);
    if (b == null) {
      throw new IllegalArgumentException("not an IP address: " + text.strip());
    }
    return byAddress(b);
  }

  /** Whether {@code text} is written as an IPv6 literal (it may still carry a mapped IPv4). */
  static boolean looksV6(String text) {
    return text.indexOf(':') >= 0;
  }

  /**
   * {@code ADDRESS:PORT}, with IPv6 in brackets: {@code 0.0.0.0:25}, {@code [::1]:2525}. The port
   * must be 1..65535.
   *
   * @throws IllegalArgumentException with a message fit for the user
   */
  public static InetSocketAddress parseSocketAddress(String text) {
    String s = text.strip();
    String host;
    String port;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("missing ']' in " + s);
      }
      host = s.substring(1, close);
      if (close + 1 >= s.length() || s.charAt(close + 1) != ':') {
        throw new IllegalArgumentException("missing port in " + s + " (write [ADDRESS]:PORT)");
      }
      port = s.substring(close + 2);
      if (!looksV6(host)) {
        throw new IllegalArgumentException("not an IPv6 address in brackets: " + s);
      }
    } else {
      int colon = s.lastIndexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("missing port in " + s + " (write ADDRESS:PORT)");
      }
      host = s.substring(0, colon);
      port = s.substring(colon + 1);
      if (looksV6(host)) {
        throw new IllegalArgumentException(
            "an IPv6 address with a port needs brackets, e.g. [::1]:2525: " + s);
      }
    }
    InetAddress address = parseAddress(host);
    return new InetSocketAddress(address, parsePort(port, s));
  }

  private static int parsePort(String port, String whole) {
    if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("not a port number in " + whole);
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException("port out of range 1..65535 in " + whole);
    }
    return p;
  }

  /**
   * The RFC 5952 text of an address: IPv6 lower case with the longest run of two or more zero
   * groups written {@code ::} ({@code 2001:db8::1}); IPv4-mapped as IPv4. No zone ID.
   */
  public static String format(InetAddress address) {
    return Addresses.text(address);
  }

  public static String format(InetAddress address, int port) {
    return Addresses.literal(address, port);
  }

  static InetAddress byAddress(byte[] b) {
    try {
      return InetAddress.getByAddress(b); // no lookup: an address, no host name
    } catch (UnknownHostException e) {
      throw new AssertionError(e); // only for a wrong array length
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
