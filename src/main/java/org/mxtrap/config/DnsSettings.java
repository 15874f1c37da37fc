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
 * @param ptrBudget how long the reverse name of a client (its PTR record and the forward lookup
 *     that confirms it) may take before the greeting; zero: no reverse names
 */
public record DnsSettings(
    List<InetSocketAddress> resolvers, Duration timeout, int retries, Duration ptrBudget) {

  /** The port a resolver address without one gets. */
  public static final int DNS_PORT = 53;

  /** The largest {@code retries}: more only makes an unknown answer slower to come. */
  public static final int MAX_RETRIES = 10;

  /** The longest {@code timeout} of one try. */
  public static final Duration MAX_TIMEOUT = Duration.ofMinutes(1);

  public static final Duration DEFAULT_PTR_BUDGET = Duration.ofSeconds(2);

  /** The longest {@code ptrBudget}: a client waits that long for its greeting when DNS is slow. */
  public static final Duration MAX_PTR_BUDGET = Duration.ofMinutes(1);

  public static final DnsSettings DEFAULTS =
      new DnsSettings(List.of(), Duration.ofSeconds(5), 2, DEFAULT_PTR_BUDGET);

  public DnsSettings {
    resolvers = List.copyOf(resolvers);
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(ptrBudget, "ptrBudget");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    if (retries < 0 || retries > MAX_RETRIES) {
      throw new IllegalArgumentException("retries out of range 0.." + MAX_RETRIES + ": " + retries);
    }
    if (ptrBudget.isNegative() || ptrBudget.compareTo(MAX_PTR_BUDGET) > 0) {
      throw new IllegalArgumentException("ptrBudget out of range 0s..1m: " + ptrBudget);
    }
  }

  /** Settings with the default {@code ptrBudget}. */
  public DnsSettings(List<InetSocketAddress> resolvers, Duration timeout, int retries) {
    this(resolvers, timeout, retries, DEFAULT_PTR_BUDGET);
  }

  /** Whether the resolvers come from the system ({@code dns.resolver: system}). */
  public boolean system() {
    return resolvers.isEmpty();
  }

  /** Whether clients' reverse names are looked up ({@code dns.ptr_budget} above zero). */
  public boolean reverseNames() {
    return !ptrBudget.isZero();
  }

  /** The same settings with other resolvers (empty: the system's). */
  public DnsSettings withResolvers(List<InetSocketAddress> other) {
    return new DnsSettings(other, timeout, retries, ptrBudget);
  }

  /** The same settings with another {@code ptrBudget}. */
  public DnsSettings withPtrBudget(Duration budget) {
    return new DnsSettings(resolvers, timeout, retries, budget);
  }
}
