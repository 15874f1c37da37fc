package org.mxtrap.smtp.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Cidr;
import org.mxtrap.smtp.wire.ProxyHeader;

/**
 * A listener behind load balancers that speak the PROXY protocol: only they may connect, and each
 * connection starts with their header naming the client and the address the client connected to.
 *
 * @param version the header version the balancers send ({@code listen[].proxy_protocol})
 * @param from the balancers' networks ({@code listen[].proxy_from}); a connection from elsewhere is
 *     closed at once
 */
public record ProxyListener(ProxyHeader.Version version, List<Cidr> from) {

  /** How long a balancer has to send the whole header after it connects. */
  static final Duration HEADER_TIMEOUT = Duration.ofSeconds(5);

  public ProxyListener {
    from = List.copyOf(from);
    if (from.isEmpty()) {
      throw new IllegalArgumentException("a PROXY listener admits some balancer");
    }
  }

  /** Whether {@code peer} is one of the balancers. */
  boolean admits(InetAddress peer) {
    return from.stream().anyMatch(c -> c.contains(peer));
  }

  /**
   * Reads the header from {@code transport}, within the deadline the caller set, and puts the
   * octets read after it back in front of the input for the session.
   *
   * @return the header ({@link ProxyHeader.Proxied}, {@link ProxyHeader.Local} or {@link
   *     ProxyHeader.Malformed}, never {@link ProxyHeader.Incomplete}), or null when the peer closed
   *     before sending anything (a balancer's plain TCP health check)
   * @throws java.net.SocketTimeoutException when the deadline passes first
   */
  ProxyHeader.@Nullable Result read(SocketTransport transport) throws IOException {
    InputStream in = transport.in();
    byte[] buffer = new byte[ProxyHeader.maxLength(version)];
    int count = 0;
    while (true) {
      ProxyHeader.Result r = ProxyHeader.decode(version, buffer, count);
      switch (r) {
        case ProxyHeader.Incomplete i -> {}
        case ProxyHeader.Proxied p -> {
          unreadAfter(transport, buffer, p.length(), count);
          return p;
        }
        case ProxyHeader.Local l -> {
          unreadAfter(transport, buffer, l.length(), count);
          return l;
        }
        case ProxyHeader.Malformed m -> {
          return m;
        }
      }
      int n = in.read(buffer, count, buffer.length - count);
      if (n < 0) {
        return count == 0 ? null : new ProxyHeader.Malformed("closed within the header");
      }
      count += n;
    }
  }

  private static void unreadAfter(SocketTransport t, byte[] buffer, int length, int count) {
    if (count > length) {
      t.unread(Arrays.copyOfRange(buffer, length, count));
    }
  }
}
