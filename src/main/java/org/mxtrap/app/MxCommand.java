package org.mxtrap.app;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.DnsSettings;
import org.mxtrap.config.DomainNames;
import org.mxtrap.core.Addresses;
import org.mxtrap.dns.MxLocator;
import org.mxtrap.dns.MxOrder;
import org.mxtrap.dns.Note;
import org.mxtrap.dns.StubResolver;
import org.mxtrap.dns.TargetHost;
import org.mxtrap.dns.ThisHost;
import org.mxtrap.observe.Events;
import org.mxtrap.observe.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mxtrap mx DOMAIN}: the RFC 5321 section 5.1 delivery order of a domain, as a sender would
 * try it. Exit 0 with an order, 1 without one (the reason says which: no mail, no usable host,
 * lookups unknown), 2 on a usage or config error.
 */
@Command(
    name = "mx",
    mixinStandardHelpOptions = true,
    description = {
      "Print the delivery order of DOMAIN (RFC 5321 section 5.1): preference, host, addresses,"
          + " and notes (implicit MX, null MX, CNAME targets, lookups that could not be made).",
      "Hosts of equal preference are shuffled, as senders do. Exit 0 when there is an order, 1"
          + " when there is none (no mail accepted, no usable host, or lookups unknown), 2 on a"
          + " usage error."
    })
final class MxCommand implements Callable<Integer> {

  @Mixin ConfigOption config;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DOMAIN", description = "the domain to look up")
  String domain;

  @Mixin ResolverOption resolver;

  @Option(
      names = "--self",
      paramLabel = "NAME|ADDRESS",
      description =
          "order as the MX host with this name or address would forward (it drops itself and"
              + " every MX of equal or higher preference); repeatable")
  List<String> self = new ArrayList<>();

  @Option(names = "--json", description = "print one JSON object instead of a table")
  boolean json;

  @Override
  public Integer call() throws ConfigException {
    PrintWriter out = spec.commandLine().getOut();
    String name;
    try {
      name = DomainNames.canonical(domain);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    DnsSettings settings = resolver.apply(config.load().dns(), spec.commandLine());
    ThisHost me = thisHost();
    MxLocator locator =
        new MxLocator(
            StubResolver.create(settings, Clock.systemUTC(), Events.NONE),
            RandomGenerator.getDefault(),
            MxLocator.Limits.DEFAULTS);
    MxOrder order = locator.locate(name, me);
    out.print(json ? json(order) : table(order));
    out.flush();
    return order instanceof MxOrder.Ordered ? 0 : 1;
  }

  private ThisHost thisHost() {
    Set<String> names = new HashSet<>();
    Set<InetAddress> addresses = new HashSet<>();
    for (String s : self) {
      Optional<InetAddress> a = Addresses.parse(s.strip());
      if (a.isPresent()) {
        addresses.add(a.get());
        continue;
      }
      try {
        names.add(DomainNames.canonical(s));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(
            spec.commandLine(), "--self: neither an IP address nor a host name: " + s);
      }
    }
    return new ThisHost(names, addresses);
  }

  // --- output ---------------------------------------------------------------------------------

  /**
   * The order as a table, one host per line, its notes below it:
   *
   * <pre>
   * example.com: delivery order (RFC 5321 section 5.1)
   *   MX 10  mx1.example.com  192.0.2.1, 2001:db8::1
   *   MX 20  alias.example.com  192.0.2.4
   *          cname-target: alias.example.com is a CNAME for ...
   * </pre>
   *
   * or, without an order, {@code example.com: no delivery (null-mx, permanent): reason}.
   */
  static String table(MxOrder order) {
    StringBuilder b = new StringBuilder(order.domain()).append(": ");
    switch (order) {
      case MxOrder.Ordered o -> b.append("delivery order (RFC 5321 section 5.1)\n");
      case MxOrder.Failed f ->
          b.append("no delivery (")
              .append(f.failure().label())
              .append(f.failure().permanent() ? ", permanent" : ", temporary")
              .append("): ")
              .append(f.reason())
              .append('\n');
    }
    int width = order.hosts().stream().mapToInt(h -> h.host().length()).max().orElse(0);
    for (TargetHost h : order.hosts()) {
      String pref = "MX " + h.preference();
      b.append("  ")
          .append(pref)
          .append(" ".repeat(Math.max(1, 8 - pref.length())))
          .append(h.host())
          .append(" ".repeat(width - h.host().length() + 2))
          .append(
              h.addresses().isEmpty()
                  ? "(no address)"
                  : h.addresses().stream().map(Addresses::text).collect(Collectors.joining(", ")))
          .append('\n');
      for (Note n : h.notes()) {
        b.append("          ").append(n).append('\n');
      }
    }
    for (Note n : order.notes()) {
      b.append("  note ").append(n).append('\n');
    }
    if (order instanceof MxOrder.Ordered && hasEqualPreferences(order.hosts())) {
      b.append("  hosts of equal preference are in random order: a sender shuffles them too\n");
    }
    return b.toString();
  }

  private static boolean hasEqualPreferences(List<TargetHost> hosts) {
    return hosts.stream().map(TargetHost::preference).distinct().count() < hosts.size();
  }

  /**
   * One JSON object: {@code domain}; {@code result} ({@code ordered}, or the failure: {@code
   * null-mx}, {@code no-such-domain}, {@code no-address}, {@code loops-back}, {@code
   * no-better-host}, {@code unknown}); for a failure {@code permanent} and {@code reason}; {@code
   * hosts} in order, each with {@code preference}, {@code host}, {@code addresses} and {@code
   * notes}; {@code notes}. A note is {@code {"kind": "cname-target", "text": "..."}}.
   */
  static String json(MxOrder order) {
    MxJson json =
        switch (order) {
          case MxOrder.Ordered o ->
              new MxJson(o.domain(), "ordered", null, null, o.hosts(), o.notes());
          case MxOrder.Failed f ->
              new MxJson(
                  f.domain(),
                  f.failure().label(),
                  f.failure().permanent(),
                  f.reason(),
                  f.hosts(),
                  f.notes());
        };
    return Json.write(json) + "\n";
  }

  private record MxJson(
      String domain,
      String result,
      @Json.OmitIfNull @Nullable Boolean permanent,
      @Json.OmitIfNull @Nullable String reason,
      List<TargetHost> hosts,
      List<Note> notes) {}
}
