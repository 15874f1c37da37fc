package org.mxtrap.config;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Cidr;

/**
 * One entry of {@code listen}: an address to bind, written {@code "ADDRESS:PORT"}, or a mapping
 * {@code {address: "ADDRESS:PORT", proxy_protocol: v1|v2, proxy_from: [CIDR, ...]}} for a listener
 * behind load balancers.
 *
 * @param address the address to bind
 * @param proxy what the balancers in front of it send, or null when clients connect directly
 */
public record ListenAddress(InetSocketAddress address, @Nullable Proxy proxy) {

  public ListenAddress {
    Objects.requireNonNull(address, "address");
  }

  /** The PROXY protocol version a listener's balancers send. */
  public enum ProxyProtocol {
    V1,
    V2
  }

  /**
   * A listener behind load balancers: each connection starts with a PROXY header, whose source is
   * the client and whose destination decides the layout entry.
   *
   * @param protocol the version they send ({@code proxy_protocol})
   * @param from the balancers' networks ({@code proxy_from}), at least one
   */
  public record Proxy(ProxyProtocol protocol, List<Cidr> from) {
    public Proxy {
      Objects.requireNonNull(protocol, "protocol");
      from = List.copyOf(from);
    }
  }

  /** As the effective configuration shows it: the address, and the proxy settings if any. */
  String show() {
    String a = Type.socketAddress(address);
    return proxy == null
        ? a
        : "{address: "
            + a
            + ", proxy_protocol: "
            + proxy.protocol().name().toLowerCase(Locale.ROOT)
            + ", proxy_from: ["
            + Type.join(proxy.from())
            + "]}";
  }
}
