package org.mxtrap.dns.layout;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Role;

/**
 * What {@link LayoutCheck} found for one domain: a row per MX record of the layout and per
 * published record the layout lacks, and the findings. The layout is published as configured when
 * there is no finding.
 *
 * @param domain lower case, without the final dot
 * @param rows the layout's MX records in preference order, then the published records it lacks
 * @param findings every finding, in the order of the rows they concern
 * @param notes remarks that are no findings (the domain is an alias, its MX lookup said NXDOMAIN)
 */
public record LayoutReport(
    String domain, List<Row> rows, List<Finding> findings, List<String> notes) {

  public LayoutReport {
    Objects.requireNonNull(domain, "domain");
    rows = List.copyOf(rows);
    findings = List.copyOf(findings);
    notes = List.copyOf(notes);
  }

  /** Whether DNS publishes the layout as configured: no finding at all. */
  public boolean asConfigured() {
    return findings.isEmpty();
  }

  /**
   * An MX record the layout calls for.
   *
   * @param role the role of the layout entries behind it
   * @param addresses every address the layout gives its host, in layout order
   */
  public record Expected(int preference, String host, Role role, List<InetAddress> addresses) {
    public Expected {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(role, "role");
      addresses = List.copyOf(addresses);
    }
  }

  /**
   * A published MX record and the addresses of its host.
   *
   * @param host the target, lower case without the final dot; {@code "."} for a null MX
   * @param addresses the host's A then AAAA records, as found
   * @param unknown the record types ({@code "A"}, {@code "AAAA"}) whose lookup could not be made
   */
  public record Published(
      int preference, String host, List<InetAddress> addresses, List<String> unknown) {
    public Published {
      Objects.requireNonNull(host, "host");
      addresses = List.copyOf(addresses);
      unknown = List.copyOf(unknown);
    }
  }

  /**
   * One line of the table: expected versus found, and the verdict.
   *
   * @param expected the layout's record; null for a published record the layout lacks
   * @param published what DNS has for it; null when it is missing or its MX lookup could not be
   *     made (then {@code verdict} says {@code lookup-unknown})
   * @param verdict the codes of the findings about this row; empty when it is as configured
   */
  public record Row(
      @Nullable Expected expected, @Nullable Published published, List<Finding.Code> verdict) {
    public Row {
      verdict = List.copyOf(verdict);
    }
  }
}
