package org.mxtrap.dns.layout;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;

/**
 * The zone records that publish a layout ({@code mxtrap dns plan}): for every domain its MX
 * records, and for every MX host its A and AAAA records, in the master file format of RFC 1035 5
 * (BIND style), with every name absolute, so the text can be pasted into a zone whatever its {@code
 * $ORIGIN}.
 *
 * <p><b>Format.</b> A header of comments (what this is, where it came from, the TTL, warnings),
 * then {@code ; MX records of DOMAIN} and one {@code DOMAIN. TTL IN MX PREF HOST.} line per
 * distinct preference and host, in preference order; then {@code ; addresses of the MX hosts} and
 * one {@code HOST. TTL IN A|AAAA ADDRESS} line per distinct host and address. Each record ends with
 * a comment naming its role ({@code ; primary}, {@code ; backup}, {@code ; trap}): comments stay in
 * the master file and are never published.
 *
 * <p><b>TTL.</b> Every record carries its own TTL, {@link #DEFAULT_TTL} seconds unless asked
 * otherwise, rather than a {@code $TTL} line: pasted into a zone, a {@code $TTL} line would change
 * the TTL of every record after it. An hour lets resolvers cache the layout and still brings a
 * change of it to every sender within the hour.
 *
 * <p><b>Refusal.</b> A layout that would not work as a trap gets no records at all, only the
 * reasons ({@link #refusals}): records pasted by a script must never publish a trap that cannot
 * catch anyone, or one that catches legitimate mail. Problems that leave the trap working but
 * weaker (a port other than 25, an address no sender can reach, a name that gives the trap away)
 * are warnings in the header.
 *
 * <p>Stateless; no lookups.
 */
public final class ZonePlan {
  private ZonePlan() {}

  /** The TTL of every record unless asked otherwise: one hour, in seconds. */
  public static final int DEFAULT_TTL = 3600;

  /** The largest TTL a record may carry (RFC 2181 8: 2^31 - 1 seconds). */
  public static final int MAX_TTL = Integer.MAX_VALUE;

  /** The port every sender connects to (RFC 5321 4.5.4.2): an MX record names no port. */
  static final int SMTP_PORT = 25;

  /** What {@link #plan} gives: the records, or why there are none. */
  public sealed interface Outcome permits Zone, Refusal {}

  /**
   * The records, ready to paste.
   *
   * @param text master-file lines, each ending with a newline
   */
  public record Zone(String text) implements Outcome {
    public Zone {
      Objects.requireNonNull(text, "text");
    }
  }

  /**
   * The layout would not work as a trap.
   *
   * @param reasons every reason, one sentence each, for people
   */
  public record Refusal(List<String> reasons) implements Outcome {
    public Refusal {
      reasons = List.copyOf(reasons);
      if (reasons.isEmpty()) {
        throw new IllegalArgumentException("a refusal has at least one reason");
      }
    }
  }

  /**
   * The records for {@code layout} under every domain of {@code domains}, or why it would not work
   * as a trap.
   *
   * @param domains lower case, without the final dot
   * @param ttl seconds, 0..{@link #MAX_TTL}
   * @param source where the layout came from, for the header: a file, or the demo layout
   */
  public static Outcome plan(Layout layout, List<String> domains, int ttl, String source) {
    if (ttl < 0) {
      throw new IllegalArgumentException("ttl out of range 0.." + MAX_TTL + ": " + ttl);
    }
    List<String> refusals = refusals(layout, domains);
    if (!refusals.isEmpty()) {
      return new Refusal(refusals);
    }
    return new Zone(zone(layout, domains, ttl, source));
  }

  /**
   * Why {@code layout} would not work as a trap once published, every reason at once; empty when it
   * would. The config loader refuses some of these already; they are checked again here because
   * this is the contract of what gets published, whoever built the layout.
   */
  static List<String> refusals(Layout layout, List<String> domains) {
    List<String> out = new ArrayList<>();
    List<LayoutEntry> entries = layout.entries();
    List<LayoutEntry> servers = entries.stream().filter(e -> e.role() != Role.TRAP).toList();
    // No domain: there is no zone to put MX records in.
    if (domains.isEmpty()) {
      out.add("domains is empty: there is no domain to publish MX records for");
    }
    // No primary: legitimate mail would have nowhere to go, and a trap is a trap only above a real
    // MX that senders try first.
    if (entries.stream().noneMatch(e -> e.role() == Role.PRIMARY)) {
      out.add(
          "no entry has role primary: legitimate mail would have nowhere to go, and a trap only"
              + " works above a primary that senders try first");
    }
    for (LayoutEntry trap : entries) {
      if (trap.role() != Role.TRAP) {
        continue;
      }
      // A trap at or below a primary or backup: senders try lower numbers first and shuffle
      // equal ones (RFC 5321 5.1), so ordinary senders would reach the trap and be suppressed.
      servers.stream()
          .filter(s -> s.preference() >= trap.preference())
          .findFirst()
          .ifPresent(
              s ->
                  out.add(
                      "trap "
                          + name(trap)
                          + " has preference "
                          + trap.preference()
                          + ", "
                          + (s.preference() == trap.preference() ? "the same as " : "lower than ")
                          + s.role().label()
                          + " "
                          + name(s)
                          + ": senders try lower numbers first and pick among equal ones at random"
                          + " (RFC 5321 5.1), so legitimate mail would land on the trap; give"
                          + " every trap a higher number than every primary and backup"));
      // A trap on the address of a primary or backup: in DNS it is that host. Told apart by port
      // only (the demo layout), it is the same again: DNS carries no port, every sender connects
      // to port 25 of the address.
      servers.stream()
          .filter(s -> Addresses.sameHost(s.address(), trap.address()))
          .findFirst()
          .ifPresent(s -> out.add(sharedAddress(trap, s)));
    }
    // A host name at two preferences: DNS gives a host all its addresses at every preference it is
    // listed at, so each of its MX records would reach the addresses of the other entries too.
    Map<String, Set<Integer>> preferences = new LinkedHashMap<>();
    for (LayoutEntry e : entries) {
      preferences.computeIfAbsent(e.host(), h -> new LinkedHashSet<>()).add(e.preference());
    }
    preferences.forEach(
        (host, prefs) -> {
          if (prefs.size() > 1) {
            out.add(
                host
                    + " is listed at preferences "
                    + entries.stream()
                        .filter(e -> e.host().equals(host))
                        .map(e -> e.preference() + " (" + e.role().label() + ")")
                        .distinct()
                        .collect(Collectors.joining(", "))
                    + ": DNS gives a host all its addresses at every preference it is listed at, so"
                    + " each of these MX records would reach the addresses of the others; give"
                    + " each preference a host name of its own");
          }
        });
    return out;
  }

  private static String sharedAddress(LayoutEntry trap, LayoutEntry server) {
    boolean byPort = trap.port() != server.port();
    return "trap "
        + name(trap)
        + " has the address "
        + Addresses.text(trap.address())
        + " of "
        + server.role().label()
        + " "
        + name(server)
        + (byPort
            ? "; only the ports differ ("
                + trap.port()
                + ", "
                + server.port()
                + "), and DNS carries no port: every sender connects to port "
                + SMTP_PORT
                + " of the address"
            : "")
        + ". Published, the trap is the "
        + server.role().label()
        + ": a sender at one cannot be told from a sender at the other, and the trap can never"
        + " catch anyone. Give every trap an address of its own"
        + (byPort
            ? " (a layout told apart by ports, like the demo's, serves tests on one machine)"
            : "");
  }

  private static String name(LayoutEntry e) {
    return "MX " + e.preference() + " " + e.host();
  }

  // --- the records ----------------------------------------------------------------------------

  /** One line of records: owner, type, data, role comment. */
  private record Line(String owner, String type, String data, String roles) {}

  private static String zone(Layout layout, List<String> domains, int ttl, String source) {
    List<LayoutEntry> entries = layout.entries();
    StringBuilder b = new StringBuilder();
    b.append("; MX layout of ")
        .append(String.join(", ", domains))
        .append(", from ")
        .append(source)
        .append(" (mxtrap dns plan)\n")
        .append(";\n")
        .append("; Paste the MX records into the zone of each domain and the A and AAAA records")
        .append(" into the zone\n")
        .append("; that holds each host name. Every record carries its own TTL (")
        .append(ttl)
        .append(" s) rather than a $TTL line,\n")
        .append("; so pasting changes no other record of the zone. Roles are in these comments")
        .append(" only: nothing\n")
        .append("; published tells a trap from the primary. Once published, verify with: mxtrap")
        .append(" dns check\n");
    List<String> warnings = warnings(entries, domains);
    if (!warnings.isEmpty()) {
      b.append(";\n");
      for (String w : warnings) {
        b.append("; warning: ").append(w).append('\n');
      }
    }
    List<List<Line>> sections = new ArrayList<>();
    List<String> titles = new ArrayList<>();
    for (String domain : domains) {
      titles.add("; MX records of " + domain);
      sections.add(mxLines(domain, entries));
    }
    titles.add("; addresses of the MX hosts");
    sections.add(addressLines(entries));
    List<Line> all = sections.stream().flatMap(List::stream).toList();
    int ownerWidth = all.stream().mapToInt(l -> l.owner().length()).max().orElse(0);
    int dataWidth = all.stream().mapToInt(l -> l.data().length()).max().orElse(0);
    for (int i = 0; i < sections.size(); i++) {
      b.append('\n').append(titles.get(i)).append('\n');
      for (Line l : sections.get(i)) {
        b.append(pad(l.owner(), ownerWidth))
            .append(' ')
            .append(ttl)
            .append(" IN ")
            .append(pad(l.type(), 4))
            .append(' ')
            .append(pad(l.data(), dataWidth))
            .append(" ; ")
            .append(l.roles())
            .append('\n');
      }
    }
    return b.toString();
  }

  /** One MX record per distinct preference and host, in preference order. */
  private static List<Line> mxLines(String domain, List<LayoutEntry> entries) {
    Map<String, List<LayoutEntry>> records = new LinkedHashMap<>();
    for (LayoutEntry e : entries) {
      records.computeIfAbsent(e.preference() + " " + e.host(), k -> new ArrayList<>()).add(e);
    }
    List<Line> out = new ArrayList<>();
    for (List<LayoutEntry> same : records.values()) {
      LayoutEntry e = same.get(0);
      out.add(new Line(domain + ".", "MX", e.preference() + " " + e.host() + ".", roles(same)));
    }
    return out;
  }

  /** One A or AAAA record per distinct host and address, hosts in preference order. */
  private static List<Line> addressLines(List<LayoutEntry> entries) {
    Map<String, List<LayoutEntry>> records = new LinkedHashMap<>();
    for (LayoutEntry e : entries) {
      records
          .computeIfAbsent(e.host() + " " + Addresses.text(e.address()), k -> new ArrayList<>())
          .add(e);
    }
    List<Line> out = new ArrayList<>();
    for (List<LayoutEntry> same : records.values()) {
      LayoutEntry e = same.get(0);
      InetAddress a = Addresses.unmap(e.address());
      out.add(
          new Line(
              e.host() + ".",
              a instanceof Inet4Address ? "A" : "AAAA",
              Addresses.text(a),
              roles(same)));
    }
    return out;
  }

  private static String roles(List<LayoutEntry> entries) {
    return entries.stream().map(e -> e.role().label()).distinct().collect(Collectors.joining(", "));
  }

  // --- warnings -------------------------------------------------------------------------------

  /**
   * What leaves the trap working but weaker, or needs more than DNS to work: one sentence each, in
   * layout order.
   */
  static List<String> warnings(List<LayoutEntry> entries, List<String> domains) {
    List<String> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (LayoutEntry e : entries) {
      // A port other than 25: DNS carries no port; senders reach the entry only through a port
      // forward from 25.
      if (e.port() != SMTP_PORT) {
        out.add(
            name(e)
                + " ("
                + e.role().label()
                + ") is served on port "
                + e.port()
                + ", but senders connect to port "
                + SMTP_PORT
                + " (DNS carries no port): forward port "
                + SMTP_PORT
                + " of "
                + Addresses.text(e.address())
                + " to it");
      }
      // An address no sender elsewhere can reach: fine for a test, useless published.
      Optional<String> scope = privateScope(e.address());
      if (scope.isPresent() && seen.add("address " + Addresses.text(e.address()))) {
        out.add(
            Addresses.text(e.address())
                + " ("
                + e.host()
                + ") is "
                + scope.get()
                + ": senders on the Internet cannot reach it");
      }
      // A name that gives the trap away: the spammer reads it before it picks an MX.
      for (String domain : domains) {
        Optional<String> word = RevealingNames.word(e.host(), domain);
        if (word.isPresent() && seen.add("name " + e.host())) {
          out.add(
              e.host()
                  + " contains \""
                  + word.get()
                  + "\": a name that says "
                  + String.join(", ", RevealingNames.WORDS)
                  + " tells spammers which MX to avoid (dns check reports it as revealing-name)");
        }
      }
    }
    return out;
  }

  /** What kind of address no sender on the Internet reaches, if {@code address} is one. */
  static Optional<String> privateScope(InetAddress address) {
    InetAddress a = Addresses.unmap(address);
    if (a.isLoopbackAddress()) {
      return Optional.of("a loopback address");
    }
    if (a.isAnyLocalAddress()) {
      return Optional.of("the unspecified address");
    }
    if (a.isLinkLocalAddress()) {
      return Optional.of("a link-local address");
    }
    if (a.isMulticastAddress()) {
      return Optional.of("a multicast address");
    }
    if (a.isSiteLocalAddress()) {
      return Optional.of(
          a instanceof Inet4Address ? "a private address (RFC 1918)" : "a site-local address");
    }
    if (a instanceof Inet6Address && (a.getAddress()[0] & 0xfe) == 0xfc) {
      return Optional.of("a unique local address (RFC 4193)");
    }
    return Optional.empty();
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }
}
