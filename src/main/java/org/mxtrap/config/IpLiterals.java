package org.mxtrap.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
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
    return Addresses.parse(s)
        .orElseThrow(() -> new IllegalArgumentException("not an IP address: " + text.strip()));
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

  /**
   * {@code ADDRESS[:PORT]}: like {@link #parseSocketAddress(String)}, but the port may be left out,
   * and then is {@code defaultPort}. A bare IPv6 address needs no brackets when it has no port:
   * {@code 192.0.2.53}, {@code 127.0.0.1:5353}, {@code ::1}, {@code [::1]}, {@code [::1]:5353}.
   *
   * @throws IllegalArgumentException with a message fit for the user
   */
  public static InetSocketAddress parseSocketAddress(String text, int defaultPort) {
    String s = text.strip();
    if (s.startsWith("[")) {
      if (!s.endsWith("]")) {
        return parseSocketAddress(s);
      }
      String inner = s.substring(1, s.length() - 1);
      if (!looksV6(inner)) {
        throw new IllegalArgumentException("not an IPv6 address in brackets: " + s);
      }
      return new InetSocketAddress(parseAddress(inner), defaultPort);
    }
    if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
      return parseSocketAddress(s); // one colon: IPv4:PORT
    }
    // No colon: IPv4 (a name is refused); two or more: a bare IPv6 address.
    return new InetSocketAddress(parseAddress(s), defaultPort);
  }

  /**
   * A port number 1..65535 in decimal; {@code whole} is the text it came from, for the message.
   *
   * @throws IllegalArgumentException with a message fit for the user
   */
  static int parsePort(String port, String whole) {
    if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("not a port number in " + whole);
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException("port out of range 1..65535 in " + whole);
    }
    return p;
  }
}
