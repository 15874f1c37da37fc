package org.mxtrap.smtp.wire;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.mxtrap.core.Addresses;

/**
 * The PROXY protocol header a load balancer sends before the client's first octet (HAProxy's
 * proxy-protocol.txt, versions 1 and 2), decoded from the octets received so far. Pure functions;
 * the caller reads, asks {@link #decode}, reads more while the answer is {@link Incomplete}, and
 * hands the octets after the header's {@code length} to the SMTP session.
 *
 * <h2>Version 1 (text)</h2>
 *
 * One line of at most {@value #V1_MAX} octets including its CRLF: {@code PROXY TCP4 SRC DST SPORT
 * DPORT\r\n} ({@code TCP6} with IPv6 addresses), single spaces, ports 0..65535 in decimal without
 * leading zeros. {@code PROXY UNKNOWN} followed by anything up to the CRLF is {@link Local}.
 *
 * <h2>Version 2 (binary)</h2>
 *
 * A 16-octet header: the 12-octet signature {@code \r\n\r\n\0\r\nQUIT\n}, version and command
 * ({@code 0x20} LOCAL, {@code 0x21} PROXY), address family and transport, and the length of what
 * follows (big-endian). PROXY over TCP carries the source and destination addresses and ports (12
 * octets for IPv4, 36 for IPv6); anything after them (TLVs) is skipped. The length is bounded so
 * that a whole header is at most {@value #V2_MAX} octets. LOCAL (a balancer's own health check) may
 * carry any family and length; what follows its 16 octets is skipped.
 *
 * <p>Anything else, including a header of the other version and PROXY over UDP or UNIX sockets, is
 * {@link Malformed}: a decision made as soon as the octets so far show it, never after waiting for
 * more.
 */
public final class ProxyHeader {
  private ProxyHeader() {}

  /** Which version a listener expects; the other one is malformed there. */
  public enum Version {
    V1,
    V2
  }

  /** The longest version 1 header, CRLF included. */
  public static final int V1_MAX = 107;

  /** The longest version 2 header we accept: 16 octets and a declared length of up to 520. */
  public static final int V2_MAX = 536;

  private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] V2_SIGNATURE = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
  };
  private static final int V2_FIXED = 16;

  /** What the octets so far are. */
  public sealed interface Result {}

  /** A valid prefix of a header: read more (at most up to {@link #maxLength}). */
  public record Incomplete() implements Result {}

  /** Not a header of the expected version; {@code reason} is for the log. */
  public record Malformed(String reason) implements Result {}

  /**
   * A header that names the client.
   *
   * @param source the client's address and port
   * @param destination the address and port the client connected to (the balancer's frontend)
   * @param length the header's octets: what follows belongs to the SMTP session
   */
  public record Proxied(InetSocketAddress source, InetSocketAddress destination, int length)
      implements Result {}

  /**
   * A header that names no client: v2 LOCAL, or v1 {@code UNKNOWN}; the connection is the
   * balancer's own.
   *
   * @param length the header's octets
   */
  public record Local(int length) implements Result {}

  /** The most octets a header of {@code version} takes. */
  public static int maxLength(Version version) {
    return version == Version.V1 ? V1_MAX : V2_MAX;
  }

  /** Decodes the first {@code count} octets of {@code in} as a header of {@code version}. */
  public static Result decode(Version version, byte[] in, int count) {
    return version == Version.V1 ? v1(in, count) : v2(in, count);
  }

  private static Result v1(byte[] in, int count) {
    int prefix = Math.min(count, V1_PREFIX.length);
    if (!Arrays.equals(in, 0, prefix, V1_PREFIX, 0, prefix)) {
      return new Malformed("not a PROXY v1 header");
    }
    int lf = -1;
    for (int i = 0; i < Math.min(count, V1_MAX); i++) {
      if (in[i] == '\n') {
        lf = i;
        break;
      }
    }
    if (lf < 0) {
      return count >= V1_MAX
          ? new Malformed("no CRLF within " + V1_MAX + " octets")
          : new Incomplete();
    }
    if (lf < 1 || in[lf - 1] != '\r') {
      return new Malformed("a bare LF ends the PROXY v1 line");
    }
    int length = lf + 1;
    String line = new String(in, 0, lf - 1, StandardCharsets.US_ASCII);
    if (line.startsWith("PROXY UNKNOWN")) {
      return new Local(length);
    }
    String[] f = line.split(" ", -1);
    if (f.length != 6 || !(f[1].equals("TCP4") || f[1].equals("TCP6"))) {
      return new Malformed("expected PROXY TCP4|TCP6 SRC DST SPORT DPORT");
    }
    boolean v4 = f[1].equals("TCP4");
    Optional<InetAddress> src = v1Address(f[2], v4);
    Optional<InetAddress> dst = v1Address(f[3], v4);
    int sport = v1Port(f[4]);
    int dport = v1Port(f[5]);
    if (src.isEmpty() || dst.isEmpty()) {
      return new Malformed("not an " + (v4 ? "IPv4" : "IPv6") + " address in " + f[1] + " line");
    }
    if (sport < 0 || dport < 0) {
      return new Malformed("not a port number 0..65535");
    }
    return new Proxied(
        new InetSocketAddress(src.get(), sport), new InetSocketAddress(dst.get(), dport), length);
  }

  /** An address of the family the line names ({@code ::ffff:a.b.c.d} is no TCP6 address). */
  private static Optional<InetAddress> v1Address(String text, boolean v4) {
    if (v4 == (text.indexOf(':') >= 0)) {
      return Optional.empty();
    }
    return Addresses.parse(text).filter(a -> (a instanceof Inet4Address) == v4);
  }

  /** A port in decimal without leading zeros, or -1. */
  private static int v1Port(String text) {
    if (text.isEmpty()
        || text.length() > 5
        || (text.length() > 1 && text.charAt(0) == '0')
        || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    int p = Integer.parseInt(text);
    return p <= 65535 ? p : -1;
  }

  private static Result v2(byte[] in, int count) {
    int prefix = Math.min(count, V2_SIGNATURE.length);
    if (!Arrays.equals(in, 0, prefix, V2_SIGNATURE, 0, prefix)) {
      return new Malformed("not a PROXY v2 signature");
    }
    if (count < V2_FIXED) {
      return new Incomplete();
    }
    int versionCommand = in[12] & 0xff;
    int familyTransport = in[13] & 0xff;
    int declared = ((in[14] & 0xff) << 8) | (in[15] & 0xff);
    if (versionCommand >> 4 != 2) {
      return new Malformed("PROXY v2 signature with version " + (versionCommand >> 4));
    }
    int command = versionCommand & 0x0f;
    if (command > 1) {
      return new Malformed("unknown PROXY v2 command " + command);
    }
    if (V2_FIXED + declared > V2_MAX) {
      return new Malformed("PROXY v2 header of " + (V2_FIXED + declared) + " octets");
    }
    int length = V2_FIXED + declared;
    int addressBlock =
        switch (familyTransport) {
          case 0x11 -> 12; // TCP over IPv4
          case 0x21 -> 36; // TCP over IPv6
          default -> -1;
        };
    if (command == 1 && addressBlock < 0) {
      return new Malformed(
          "PROXY v2 family/transport 0x" + Integer.toHexString(familyTransport) + " is not TCP");
    }
    if (command == 1 && declared < addressBlock) {
      return new Malformed("PROXY v2 length " + declared + " is shorter than its addresses");
    }
    if (count < length) {
      return new Incomplete();
    }
    if (command == 0) {
      return new Local(length);
    }
    int octets = addressBlock == 12 ? 4 : 16;
    int at = V2_FIXED;
    InetAddress src = Addresses.byAddress(Arrays.copyOfRange(in, at, at + octets));
    InetAddress dst = Addresses.byAddress(Arrays.copyOfRange(in, at + octets, at + 2 * octets));
    int sport = ((in[at + 2 * octets] & 0xff) << 8) | (in[at + 2 * octets + 1] & 0xff);
    int dport = ((in[at + 2 * octets + 2] & 0xff) << 8) | (in[at + 2 * octets + 3] & 0xff);
    return new Proxied(
        new InetSocketAddress(src, sport), new InetSocketAddress(dst, dport), length);
  }
}
