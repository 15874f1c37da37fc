package org.mxtrap.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

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
 * @param spfBudget how long one SPF check (RFC 7208, all its lookups) may take; zero: no SPF checks
 *     (no sender excused by SPF, {@code allow_pools} unused)
 */
public record DnsSettings(
    List<InetSocketAddress> resolvers,
    Duration timeout,
    int retries,
    Duration ptrBudget,
    Duration spfBudget) {

  /** The port a resolver address without one gets. */
  public static final int DNS_PORT = 53;

  /** The largest {@code retries}: more only makes an unknown answer slower to come. */
  public static final int MAX_RETRIES = 10;

  /** The longest {@code timeout} of one try. */
  public static final Duration MAX_TIMEOUT = Duration.ofMinutes(1);

  public static final Duration DEFAULT_PTR_BUDGET = Duration.ofSeconds(2);

  public static final Duration DEFAULT_SPF_BUDGET = Duration.ofSeconds(2);

  /** The longest {@code ptrBudget}: a client waits that long for its greeting when DNS is slow. */
  public static final Duration MAX_PTR_BUDGET = Duration.ofMinutes(1);

  public DnsSettings {
    resolvers = List.copyOf(resolvers);
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(ptrBudget, "ptrBudget");
    Objects.requireNonNull(spfBudget, "spfBudget");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    if (retries < 0 || retries > MAX_RETRIES) {
      throw new IllegalArgumentException("retries out of range 0.." + MAX_RETRIES + ": " + retries);
    }
    if (ptrBudget.isNegative() || ptrBudget.compareTo(MAX_PTR_BUDGET) > 0) {
      throw new IllegalArgumentException("ptrBudget out of range 0s..1m: " + ptrBudget);
    }
    if (spfBudget.isNegative() || spfBudget.compareTo(MAX_PTR_BUDGET) > 0) {
      throw new IllegalArgumentException("spfBudget out of range 0s..1m: " + spfBudget);
    }
  }

  /** Settings with the default {@code ptrBudget} and {@code spfBudget}. */
  public DnsSettings(List<InetSocketAddress> resolvers, Duration timeout, int retries) {
    this(resolvers, timeout, retries, DEFAULT_PTR_BUDGET, DEFAULT_SPF_BUDGET);
  }

  /** Whether senders' SPF records are checked ({@code dns.spf_budget} above zero). */
  public boolean spf() {
    return !spfBudget.isZero();
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
    return new DnsSettings(other, timeout, retries, ptrBudget, spfBudget);
  }

  /** The same settings with another {@code ptrBudget}. */
  public DnsSettings withPtrBudget(Duration budget) {
    return new DnsSettings(resolvers, timeout, retries, budget, spfBudget);
  }

  /**
   * Why {@code dns.ptr_budget}, {@code dns.spf_budget} and {@code dnsbl.timeout} have the maximum
   * they have.
   */
  static final String WHY_GREETING_WAIT = "the client waits this long for its greeting";

  static final Key<DnsSettings, List<InetSocketAddress>> RESOLVER =
      Key.of(
          "resolver",
          Type.of(
              DnsSettings::resolvers,
              r ->
                  r.isEmpty()
                      ? "system"
                      : r.stream().map(Type::socketAddress).collect(Collectors.joining(","))),
          List.of(),
          DnsSettings::resolvers);
  static final Key<DnsSettings, Duration> TIMEOUT =
      Key.of(
          "timeout",
          Type.duration(
              MAX_TIMEOUT, "one query to one resolver: answers come within seconds or not at all"),
          Duration.ofSeconds(5),
          DnsSettings::timeout);
  static final Key<DnsSettings, Integer> RETRIES =
      Key.of("retries", Type.integer(0, MAX_RETRIES), 2, DnsSettings::retries);
  static final Key<DnsSettings, Duration> PTR_BUDGET =
      Key.of(
              "ptr_budget",
              Type.durationOrZero(MAX_PTR_BUDGET, WHY_GREETING_WAIT),
              DEFAULT_PTR_BUDGET,
              DnsSettings::ptrBudget)
          .shownAs(
              d -> d.reverseNames() ? Durations.format(d.ptrBudget()) : "0s (no reverse names)");

  static final Key<DnsSettings, Duration> SPF_BUDGET =
      Key.of(
              "spf_budget",
              Type.durationOrZero(MAX_PTR_BUDGET, WHY_GREETING_WAIT),
              DEFAULT_SPF_BUDGET,
              DnsSettings::spfBudget)
          .shownAs(d -> d.spf() ? Durations.format(d.spfBudget()) : "0s (no SPF checks)");

  static final Section<DnsSettings> SECTION =
      Section.of(
          "dns",
          List.of(RESOLVER, TIMEOUT, RETRIES, PTR_BUDGET, SPF_BUDGET),
          v ->
              new DnsSettings(
                  v.get(RESOLVER),
                  v.get(TIMEOUT),
                  v.get(RETRIES),
                  v.get(PTR_BUDGET),
                  v.get(SPF_BUDGET)));

  public static final DnsSettings DEFAULTS = SECTION.defaults();

  /**
   * {@code system}, one {@code ADDRESS[:PORT]} or a list of them; empty for system. Null when
   * reported.
   */
  private static @Nullable List<InetSocketAddress> resolvers(Values in, Field f) {
    NodeReader r = in.reader();
    String hint =
        "; write system, an address like 192.0.2.53 or \"[2001:db8::53]:5353\", or a list";
    if (f.value() instanceof ScalarNode s
        && !NodeReader.isNull(s)
        && s.getValue().equals("system")) {
      return List.of();
    }
    List<Field> items;
    if (f.value() instanceof SequenceNode) {
      items = r.list(f);
      if (items == null) {
        return null;
      }
      if (items.isEmpty()) {
        r.error(f, "must list at least one resolver address, or be system");
        return null;
      }
    } else {
      items = List.of(f);
    }
    List<InetSocketAddress> out = new ArrayList<>();
    boolean complete = true;
    for (Field item : items) {
      String text = r.text(item);
      if (text == null) {
        complete = false;
        continue;
      }
      if (text.equals("system")) {
        r.error(item, "system cannot be listed with resolver addresses: use one or the other");
        complete = false;
        continue;
      }
      try {
        InetSocketAddress a = IpLiterals.parseSocketAddress(text, DNS_PORT);
        if (out.contains(a)) {
          r.error(item, "listed twice: " + Addresses.literal(a.getAddress(), a.getPort()));
          complete = false;
        } else {
          out.add(a);
        }
      } catch (IllegalArgumentException e) {
        r.error(item, e.getMessage() + hint);
        complete = false;
      }
    }
    return complete ? out : null;
  }
}
