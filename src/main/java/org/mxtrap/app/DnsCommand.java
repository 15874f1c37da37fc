package org.mxtrap.app;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.DomainNames;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.core.Addresses;
import org.mxtrap.dns.StubResolver;
import org.mxtrap.dns.layout.Finding;
import org.mxtrap.dns.layout.LayoutCheck;
import org.mxtrap.dns.layout.LayoutReport;
import org.mxtrap.dns.layout.ZonePlan;
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
 * {@code mxtrap dns plan} and {@code mxtrap dns check}: publishing the layout in DNS, and checking
 * what is published. Exit codes: {@code plan} 0 with the records, 2 when the layout would not work
 * as a trap or on a usage error; {@code check} 0 when every domain publishes the layout as
 * configured, 1 with findings (a lookup that could not be made is one), 2 on a usage error.
 */
@Command(
    name = "dns",
    mixinStandardHelpOptions = true,
    description = {
      "Publish the layout in DNS (plan) and check what is published (check).",
    },
    subcommands = {DnsCommand.Plan.class, DnsCommand.Check.class})
final class DnsCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand: plan or check");
  }

  /** {@code mxtrap dns plan}: the zone records for the configured layout. */
  @Command(
      name = "plan",
      mixinStandardHelpOptions = true,
      description = {
        "Print the zone records (MX, A, AAAA) that publish the configured layout for every domain"
            + " in domains, commented with each entry's role, ready to paste into the zones.",
        "Every record carries its own TTL. A layout that would not work as a trap (no primary, a"
            + " trap at or below a primary or backup, a trap on the address of a primary or"
            + " backup, as in the demo layout, where only ports tell the entries apart) gets no"
            + " records: exit 2 with the reasons. Exit 0 with the records."
      })
  static final class Plan implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Option(
        names = "--ttl",
        paramLabel = "SECONDS",
        description = "the TTL of every record (default: ${DEFAULT-VALUE}, one hour)")
    int ttl = ZonePlan.DEFAULT_TTL;

    @Override
    public Integer call() throws ConfigException {
      if (ttl < 0) {
        throw new ParameterException(
            spec.commandLine(), "--ttl: out of range 0.." + ZonePlan.MAX_TTL + ": " + ttl);
      }
      MxtrapConfig c = config.load();
      PrintWriter err = spec.commandLine().getErr();
      String source =
          c.source() == null ? "the embedded demo layout: no config file" : c.source().toString();
      switch (ZonePlan.plan(c.layout(), c.domains(), ttl, source)) {
        case ZonePlan.Zone z -> {
          PrintWriter out = spec.commandLine().getOut();
          out.print(z.text());
          out.flush();
          return 0;
        }
        case ZonePlan.Refusal r -> {
          err.print(refusal(source, r));
          err.flush();
          return Cli.EXIT_CONFIG;
        }
      }
    }

    /** Why no records were printed: a line, then one indented line per reason. */
    static String refusal(String source, ZonePlan.Refusal r) {
      StringBuilder b =
          new StringBuilder("mxtrap dns plan: no records printed: the layout would not work as a")
              .append(" trap (")
              .append(source)
              .append("):\n");
      for (String reason : r.reasons()) {
        b.append("  - ").append(reason).append('\n');
      }
      return b.toString();
    }
  }

  /** {@code mxtrap dns check}: the published layout against the configured one. */
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description = {
        "Resolve the published MX records of DOMAIN (default: every domain in domains) and the"
            + " addresses of every MX host, and compare them with the configured layout: a table"
            + " of entry, expected, found and verdict, then the findings.",
        "Findings: missing-mx, extra-mx, wrong-preference, trap-address-is-primary,"
            + " revealing-name, trap-not-highest, trap-shares-preference, mx-cname, null-mx,"
            + " unresolvable-host, address-mismatch, lookup-unknown.",
        "Exit 0 when the layout is published as configured, 1 with findings, 2 on a usage error."
      })
  static final class Check implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Mixin ResolverOption resolver;
    @Spec CommandSpec spec;

    @Parameters(
        index = "0",
        arity = "0..1",
        paramLabel = "DOMAIN",
        description = "the domain to check (default: every domain in domains)")
    @Nullable String domain;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Override
    public Integer call() throws ConfigException {
      String only = null;
      if (domain != null) {
        try {
          only = DomainNames.canonical(domain);
        } catch (IllegalArgumentException e) {
          throw new ParameterException(spec.commandLine(), e.getMessage());
        }
      }
      MxtrapConfig c = config.load();
      StubResolver dns =
          StubResolver.create(
              resolver.apply(c.dns(), spec.commandLine()), Clock.systemUTC(), Events.NONE);
      LayoutCheck check = new LayoutCheck(dns);
      List<LayoutReport> reports = new ArrayList<>();
      for (String d : only == null ? c.domains() : List.of(only)) {
        reports.add(check.check(d, c.layout()));
      }
      String asked =
          dns.resolvers().stream()
              .map(a -> Addresses.literal(a.getAddress(), a.getPort()))
              .collect(Collectors.joining(", "));
      PrintWriter out = spec.commandLine().getOut();
      out.print(json ? json(reports) : table(reports, asked));
      out.flush();
      return reports.stream().allMatch(LayoutReport::asConfigured) ? 0 : 1;
    }
  }

  // --- output of check ------------------------------------------------------------------------

  /**
   * The reports as tables, one per domain: a header, one line per row, the findings, the notes, and
   * a closing line that says whether the domain publishes the layout as configured:
   *
   * <pre>
   * example.com: published MX layout against the configured one (asked 127.0.0.1:53)
   *   entry                          expected          found             verdict
   *   MX 10 mail.example.com primary MX 10 192.0.2.10  MX 10 192.0.2.10  ok
   *   MX 30 mx2.example.com trap     MX 30 192.0.2.30  MX 20 192.0.2.30  wrong-preference
   *   findings:
   *     wrong-preference mx2.example.com: published at preference 20, the layout says 30 (trap)
   * example.com: 1 finding
   * </pre>
   */
  static String table(List<LayoutReport> reports, String asked) {
    StringBuilder b = new StringBuilder();
    for (LayoutReport r : reports) {
      b.append(r.domain())
          .append(": published MX layout against the configured one (asked ")
          .append(asked)
          .append(")\n");
      List<String[]> cells = new ArrayList<>();
      cells.add(new String[] {"entry", "expected", "found", "verdict"});
      for (LayoutReport.Row row : r.rows()) {
        cells.add(new String[] {entry(row), expected(row), found(row), verdict(row)});
      }
      int[] width = new int[3];
      for (String[] c : cells) {
        for (int i = 0; i < 3; i++) {
          width[i] = Math.max(width[i], c[i].length());
        }
      }
      for (String[] c : cells) {
        b.append("  ");
        for (int i = 0; i < 3; i++) {
          b.append(c[i]).append(" ".repeat(width[i] - c[i].length() + 2));
        }
        b.append(c[3]).append('\n');
      }
      if (!r.findings().isEmpty()) {
        b.append("  findings:\n");
        for (Finding f : r.findings()) {
          b.append("    ").append(f).append('\n');
        }
      }
      for (String n : r.notes()) {
        b.append("  note: ").append(n).append('\n');
      }
      int n = r.findings().size();
      b.append(r.domain())
          .append(": ")
          .append(
              n == 0
                  ? "the layout is published as configured"
                  : n + (n == 1 ? " finding" : " findings"))
          .append('\n');
    }
    return b.toString();
  }

  /** {@code MX 10 mail.example.com primary}, or what a published record the layout lacks is. */
  private static String entry(LayoutReport.Row row) {
    LayoutReport.Expected e = row.expected();
    if (e != null) {
      return "MX " + e.preference() + " " + e.host() + " " + e.role().label();
    }
    LayoutReport.Published p = row.published();
    return p == null ? "" : p.host().equals(".") ? "null MX" : "(not in the layout)";
  }

  private static String expected(LayoutReport.Row row) {
    LayoutReport.Expected e = row.expected();
    return e == null ? "-" : "MX " + e.preference() + " " + addresses(e.addresses(), List.of());
  }

  private static String found(LayoutReport.Row row) {
    LayoutReport.Published p = row.published();
    if (p == null) {
      return row.verdict().contains(Finding.Code.LOOKUP_UNKNOWN) ? "unknown" : "not published";
    }
    String record = "MX " + p.preference();
    if (row.expected() == null || !row.expected().host().equals(p.host())) {
      record += " " + p.host();
    }
    return p.host().equals(".") ? record : record + " " + addresses(p.addresses(), p.unknown());
  }

  private static String addresses(List<InetAddress> addresses, List<String> unknown) {
    List<String> parts = new ArrayList<>(addresses.stream().map(Addresses::text).toList());
    unknown.forEach(type -> parts.add(type + " unknown"));
    return parts.isEmpty() ? "(no address)" : String.join(", ", parts);
  }

  private static String verdict(LayoutReport.Row row) {
    return row.verdict().isEmpty()
        ? "ok"
        : row.verdict().stream().map(Finding.Code::label).collect(Collectors.joining(", "));
  }

  /**
   * One JSON object: {@code as_configured} (true when no domain has a finding) and {@code domains},
   * one object per domain with {@code domain}, {@code as_configured}, {@code rows}, {@code
   * findings} and {@code notes}. A row is {@code {"expected": {"preference", "host", "role",
   * "addresses"} | null, "found": {"preference", "host", "addresses", "unknown"} | null, "verdict":
   * [codes]}}, its verdict empty when the row is as configured; {@code unknown} lists the record
   * types whose lookup could not be made. A finding is {@code {"code", "subject", "text"}}.
   */
  static String json(List<LayoutReport> reports) {
    return Json.write(
            new CheckJson(
                reports.stream().allMatch(LayoutReport::asConfigured),
                reports.stream().map(DomainJson::of).toList()))
        + "\n";
  }

  private record CheckJson(boolean asConfigured, List<DomainJson> domains) {}

  private record DomainJson(
      String domain,
      boolean asConfigured,
      List<RowJson> rows,
      List<Finding> findings,
      List<String> notes) {
    static DomainJson of(LayoutReport r) {
      return new DomainJson(
          r.domain(),
          r.asConfigured(),
          r.rows().stream()
              .map(row -> new RowJson(row.expected(), row.published(), row.verdict()))
              .toList(),
          r.findings(),
          r.notes());
    }
  }

  private record RowJson(
      LayoutReport.@Nullable Expected expected,
      LayoutReport.@Nullable Published found,
      List<Finding.Code> verdict) {}
}
