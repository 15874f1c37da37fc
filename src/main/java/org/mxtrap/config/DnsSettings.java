package org.mxtrap.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How mxtrap asks DNS (PRODUCT.md {@code dns}).
 *
 * @param resolvers the recursive resolvers to ask, in order; empty means {@code system}: the name
 *     servers of {@code /etc/resolv.conf}
 * @param timeout how long one try (one query to one resolver) waits for its answer
 * @param retries how many more rounds after the first; a round asks every resolver in order, so a
 *     lookup that no resolver answers takes {@code timeout × resolvers × (1 + retries)}
 */
public record DnsSettings(List<InetSocketAddress> resolvers, Duration timeout, int retries) {

  /** The port a resolver address without one gets. */
  public static final int DNS_PORT = 53;

  /** The largest {@code retries}: more only makes an unknown answer slower to come. */
  public static final int MAX_RETRIES = 10;

  public static final DnsSettings DEFAULTS = new DnsSettings(List.of(), Duration.ofSeconds(5), 2);

  public DnsSettings {
    resolvers = List.copyOf(resolvers);
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    if (retries < 0 || retries > MAX_RETRIES) {
      throw new IllegalArgumentException("retries out of range 0.." + MAX_RETRIES + ": " + retries);
    }
  }

  /** Whether the resolvers come from the system ({@code dns.resolver: system}). */
  public boolean system() {
    return resolvers.isEmpty();
  }

  /** The same settings with other resolvers (empty: the system's). */
  public DnsSettings withResolvers(List<InetSocketAddress> other) {
    return new DnsSettings(other, timeout, retries);
  }
}
