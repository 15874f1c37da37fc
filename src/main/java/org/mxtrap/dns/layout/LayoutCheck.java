package org.mxtrap.dns.layout;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.dns.Answer;
import org.mxtrap.dns.Dns;
import org.mxtrap.dns.MxRecord;
import org.mxtrap.dns.layout.Finding.Code;
import org.mxtrap.dns.layout.LayoutReport.Expected;
import org.mxtrap.dns.layout.LayoutReport.Published;
import org.mxtrap.dns.layout.LayoutReport.Row;

/**
 * Compares the MX layout a domain publishes in DNS with the configured {@link Layout} ({@code
 * mxtrap dns check}), and checks that what is published works as a trap.
 *
 * <p>It looks up the domain's MX records, then the A and AAAA records of every published MX host
 * (never of a host that is not published: senders never see it), through the {@link Dns} port. A
 * lookup that could not be made is a finding ({@code lookup-unknown}), never taken for "no
 * records": when the MX lookup itself could not be made nothing else is asked or judged. The
 * decisions, one function each: {@link #match} pairs published records with the layout's, {@link
 * #recordFindings}, {@link #addressFindings}, {@link #nameFindings} and {@link #trapFindings} judge
 * one row each. The layout's addresses are taken to be the published ones (no NAT in between).
 *
 * <p>Thread-safe when the {@link Dns} is; blocks for the lookups, at most one MX lookup and two
 * address lookups per distinct published host.
 */
public final class LayoutCheck {

  private final Dns dns;

  public LayoutCheck(Dns dns) {
    this.dns = dns;
  }

  /**
   * What {@code domain} publishes, judged against {@code layout}.
   *
   * @param domain lower case, without the final dot
   */
  public LayoutReport check(String domain, Layout layout) {
    List<Expected> expected = expected(layout);
    List<String> notes = new ArrayList<>();
    List<MxRecord> published;
    switch (dns.mx(domain)) {
      case Answer.Unknown<MxRecord> u -> {
        // The MX lookup could not be made: nothing is known about what is published. Every record
        // of the layout is unknown, one finding says why, and nothing else is asked.
        return new LayoutReport(
            domain,
            expected.stream().map(e -> new Row(e, null, List.of(Code.LOOKUP_UNKNOWN))).toList(),
            List.of(
                new Finding(
                    Code.LOOKUP_UNKNOWN,
                    domain,
                    "the MX lookup could not be made, so nothing is known about what is"
                        + " published: "
                        + u.describe())),
            notes);
      }
      case Answer.NotFound<MxRecord> n -> {
        // No MX record at all: every record of the layout is missing (a sender would take the
        // domain's own address, or give up on NXDOMAIN).
        aliasNote(domain, n.aliases(), notes);
        notes.add("the MX lookup says " + n.describe() + ": no MX record is published");
        published = List.of();
      }
      case Answer.Found<MxRecord> f -> {
        aliasNote(domain, f.aliases(), notes);
        published = f.values();
      }
    }
    List<Draft> drafts = match(expected, published);
    Map<String, Resolution> resolved = new LinkedHashMap<>();
    for (Draft d : drafts) {
      if (d.record() != null && !d.record().rootTarget()) {
        resolved.computeIfAbsent(d.record().host(), this::resolve);
      }
    }
    Context context = context(layout, drafts, resolved);
    Set<Finding> findings = new LinkedHashSet<>();
    List<Row> rows = new ArrayList<>();
    for (Draft d : drafts) {
      Set<Finding> mine = new LinkedHashSet<>();
      recordFindings(d, published, mine);
      Resolution r = d.record() == null ? null : resolved.get(d.record().host());
      if (r != null) {
        addressFindings(d, r, mine);
        nameFindings(domain, d, mine);
        trapFindings(d, r, context, mine);
      }
      findings.addAll(mine);
      rows.add(
          new Row(
              d.expected(),
              d.record() == null ? null : published(d.record(), r),
              mine.stream().map(Finding::code).distinct().toList()));
    }
    return new LayoutReport(domain, rows, List.copyOf(findings), notes);
  }

  // --- the layout's records -------------------------------------------------------------------

  /**
   * One expected record per distinct preference and host of the layout, in preference order. Its
   * role is the first primary or backup behind it, else trap; its addresses are every address the
   * layout gives the host (DNS gives a host all its addresses at every preference).
   */
  static List<Expected> expected(Layout layout) {
    Map<String, List<LayoutEntry>> records = new LinkedHashMap<>();
    for (LayoutEntry e : layout.entries()) {
      records.computeIfAbsent(e.preference() + " " + e.host(), k -> new ArrayList<>()).add(e);
    }
    List<Expected> out = new ArrayList<>();
    for (List<LayoutEntry> same : records.values()) {
      LayoutEntry first = same.get(0);
      Role role =
          same.stream()
              .map(LayoutEntry::role)
              .filter(r -> r != Role.TRAP)
              .findFirst()
              .orElse(Role.TRAP);
      List<InetAddress> addresses =
          layout.entries().stream()
              .filter(e -> e.host().equals(first.host()))
              .map(e -> Addresses.unmap(e.address()))
              .distinct()
              .toList();
      out.add(new Expected(first.preference(), first.host(), role, addresses));
    }
    return out;
  }

  // --- matching -------------------------------------------------------------------------------

  private enum Match {
    /** Published with the layout's host and preference. */
    EXACT,
    /** The layout's host is published, at another preference. */
    OTHER_PREFERENCE,
    /** The layout's record is not published. */
    MISSING,
    /** A published record the layout lacks. */
    EXTRA,
    /** A published null MX ({@code MX 0 .}). */
    NULL_MX
  }

  /** A row being judged: the layout's record, the published one, how they were paired. */
  private record Draft(@Nullable Expected expected, @Nullable MxRecord record, Match match) {
    /** The layout's record, which every match but EXTRA and NULL_MX has. */
    Expected layoutRecord() {
      return Objects.requireNonNull(expected, match::name);
    }

    /** The published record, which every match but MISSING has. */
    MxRecord publishedRecord() {
      return Objects.requireNonNull(record, match::name);
    }
  }

  /**
   * Pairs each of the layout's records with a published one: the same host and preference first,
   * for every record of the layout, so that a host published at several preferences is paired where
   * it is right; then the same host at another preference; then nothing (missing). Published
   * records left over are extra, or a null MX.
   */
  private static List<Draft> match(List<Expected> expected, List<MxRecord> published) {
    List<MxRecord> left = new ArrayList<>(published);
    Map<Expected, MxRecord> exact = new LinkedHashMap<>();
    for (Expected e : expected) {
      left.stream()
          .filter(r -> r.host().equals(e.host()) && r.preference() == e.preference())
          .findFirst()
          .ifPresent(
              r -> {
                exact.put(e, r);
                left.remove(r);
              });
    }
    List<Draft> out = new ArrayList<>();
    for (Expected e : expected) {
      MxRecord r = exact.get(e);
      if (r != null) {
        out.add(new Draft(e, r, Match.EXACT));
        continue;
      }
      Optional<MxRecord> moved = left.stream().filter(p -> p.host().equals(e.host())).findFirst();
      if (moved.isPresent()) {
        left.remove(moved.get());
        out.add(new Draft(e, moved.get(), Match.OTHER_PREFERENCE));
      } else {
        out.add(new Draft(e, null, Match.MISSING));
      }
    }
    left.sort(Comparator.comparingInt(MxRecord::preference));
    for (MxRecord r : left) {
      out.add(new Draft(null, r, r.rootTarget() ? Match.NULL_MX : Match.EXTRA));
    }
    return out;
  }

  // --- addresses ------------------------------------------------------------------------------

  /**
   * The addresses of one published MX host.
   *
   * @param literal the address when the target is an IP address written as a name (then nothing is
   *     looked up)
   * @param a the A lookup, or null for a literal
   * @param aaaa the AAAA lookup, or null for a literal
   */
  private record Resolution(
      @Nullable InetAddress literal,
      @Nullable Answer<InetAddress> a,
      @Nullable Answer<InetAddress> aaaa) {

    List<InetAddress> addresses() {
      if (literal != null) {
        return List.of(literal);
      }
      List<InetAddress> out = new ArrayList<>(found(a));
      out.addAll(found(aaaa));
      return out.stream().map(Addresses::unmap).toList();
    }

    List<String> unknown() {
      List<String> out = new ArrayList<>();
      if (a instanceof Answer.Unknown<InetAddress>) {
        out.add("A");
      }
      if (aaaa instanceof Answer.Unknown<InetAddress>) {
        out.add("AAAA");
      }
      return out;
    }

    private static List<InetAddress> found(@Nullable Answer<InetAddress> answer) {
      return answer instanceof Answer.Found<InetAddress> f ? f.values() : List.of();
    }
  }

  private Resolution resolve(String host) {
    Optional<InetAddress> literal = Addresses.parse(host);
    if (literal.isPresent()) {
      return new Resolution(literal.get(), null, null);
    }
    return new Resolution(null, dns.a(host), dns.aaaa(host));
  }

  private static Published published(MxRecord record, @Nullable Resolution r) {
    return r == null
        ? new Published(record.preference(), record.host(), List.of(), List.of())
        : new Published(record.preference(), record.host(), r.addresses(), r.unknown());
  }

  // --- judging one row ------------------------------------------------------------------------

  /** Whether the layout's record is published, and where; what is published that it lacks. */
  private static void recordFindings(Draft d, List<MxRecord> published, Set<Finding> out) {
    switch (d.match()) {
      case EXACT -> {
        // As configured.
      }
      case OTHER_PREFERENCE -> {
        // The host is there, at another number: senders try it in another place of the order.
        Expected e = d.layoutRecord();
        out.add(
            new Finding(
                Code.WRONG_PREFERENCE,
                e.host(),
                "published at preference "
                    + d.publishedRecord().preference()
                    + ", the layout says "
                    + e.preference()
                    + " ("
                    + e.role().label()
                    + ")"));
      }
      case MISSING -> {
        // Not published: senders never come to this entry.
        Expected e = d.layoutRecord();
        out.add(
            new Finding(
                Code.MISSING_MX,
                e.host(),
                "MX "
                    + e.preference()
                    + " "
                    + e.host()
                    + " ("
                    + e.role().label()
                    + ") is not published"));
      }
      case EXTRA -> {
        // A record the layout does not know: senders use it, and mxtrap does not serve it.
        MxRecord r = d.publishedRecord();
        out.add(
            new Finding(
                Code.EXTRA_MX,
                r.host(),
                "MX "
                    + r.preference()
                    + " "
                    + r.host()
                    + " is published but not in the layout"
                    + (Addresses.parse(r.host()).isPresent()
                        ? " (and it is an IP address written as a host name)"
                        : "")));
      }
      case NULL_MX -> {
        // A null MX (RFC 7505): alone, the domain says it takes no mail at all; among others it
        // is invalid and senders ignore it.
        MxRecord r = d.publishedRecord();
        out.add(
            new Finding(
                Code.NULL_MX,
                ".",
                published.size() == 1
                    ? "\"MX "
                        + r.preference()
                        + " .\" is a null MX (RFC 7505): the domain says it accepts no mail, and"
                        + " senders bounce without trying"
                    : "\"MX "
                        + r.preference()
                        + " .\" among other MX records: RFC 7505 allows a null MX only alone;"
                        + " senders ignore it"));
      }
    }
  }

  /** Whether the host's addresses can be found, and are the layout's. */
  private static void addressFindings(Draft d, Resolution r, Set<Finding> out) {
    String host = d.publishedRecord().host();
    if (r.literal() != null) {
      // An IP address written as a name: senders use it as the address; nothing to look up.
      return;
    }
    // A CNAME target: forbidden for an MX (RFC 2181 10.3, RFC 5321 5.1); some senders refuse it.
    List<Answer.Alias> aliases = new ArrayList<>(aliases(r.a()));
    aliases(r.aaaa()).stream().filter(x -> !aliases.contains(x)).forEach(aliases::add);
    if (!aliases.isEmpty()) {
      out.add(
          new Finding(
              Code.MX_CNAME,
              host,
              aliases.stream().map(Answer.Alias::toString).collect(Collectors.joining(", "))
                  + ": an MX target must be a host name, not an alias (RFC 2181 10.3, RFC 5321"
                  + " 5.1)"));
    }
    // A lookup that could not be made: reported, never taken for "no address". One finding for
    // the host, whichever of its lookups failed.
    List<String> failed = new ArrayList<>();
    if (r.a() instanceof Answer.Unknown<InetAddress> u) {
      failed.add("the A lookup could not be made: " + u.describe());
    }
    if (r.aaaa() instanceof Answer.Unknown<InetAddress> u) {
      failed.add("the AAAA lookup could not be made: " + u.describe());
    }
    if (!failed.isEmpty()) {
      out.add(new Finding(Code.LOOKUP_UNKNOWN, host, String.join("; ", failed)));
    }
    // Both lookups answered, neither with an address: senders skip the host.
    if (r.a() instanceof Answer.NotFound<InetAddress> na
        && r.aaaa() instanceof Answer.NotFound<InetAddress> n6) {
      out.add(
          new Finding(
              Code.UNRESOLVABLE_HOST,
              host,
              "no address: A "
                  + na.absence()
                  + ", AAAA "
                  + n6.absence()
                  + "; senders skip this MX"));
      return;
    }
    // Addresses other than the layout's, for each family whose lookup answered.
    Expected e = d.expected();
    if (e == null) {
      return;
    }
    List<String> differences = new ArrayList<>();
    for (boolean v4 : List.of(true, false)) {
      Answer<InetAddress> answer = v4 ? r.a() : r.aaaa();
      if (answer instanceof Answer.Unknown<InetAddress>) {
        continue;
      }
      Set<String> want = texts(e.addresses(), v4);
      Set<String> have = texts(r.addresses(), v4);
      for (String w : want) {
        if (!have.contains(w)) {
          differences.add("the layout's " + w + " is not published");
        }
      }
      for (String h : have) {
        if (!want.contains(h)) {
          differences.add(h + " is published but not in the layout");
        }
      }
    }
    if (!differences.isEmpty()) {
      out.add(new Finding(Code.ADDRESS_MISMATCH, host, String.join("; ", differences)));
    }
  }

  /** Whether the host's name gives the trap away. */
  private static void nameFindings(String domain, Draft d, Set<Finding> out) {
    String host = d.publishedRecord().host();
    Optional<String> word = RevealingNames.word(host, domain);
    // A telling word in the labels that set the host apart from the domain: spammers read MX
    // names before they pick one.
    word.ifPresent(
        w ->
            out.add(
                new Finding(
                    Code.REVEALING_NAME,
                    host,
                    "the name contains \""
                        + w
                        + "\": names that say "
                        + String.join(", ", RevealingNames.WORDS)
                        + " tell spammers which MX to avoid")));
  }

  /**
   * What the trap rows are judged against: the real MX hosts as published and configured.
   *
   * @param roles the role of every host name of the layout (its first primary or backup, else
   *     trap), for published records the layout lacks
   */
  private record Context(
      Map<String, String> realAddresses, List<Draft> realRecords, Map<String, Role> roles) {

    /**
     * The role of a published record: its layout record's, else its host's in the layout; null for
     * a host the layout does not know, which senders use like any real MX.
     */
    @Nullable Role role(Draft d) {
      return d.expected() != null ? d.expected().role() : roles.get(d.publishedRecord().host());
    }
  }

  /**
   * The addresses of primaries and backups (configured, then published), each with whose it is; and
   * the published records that are no trap: the layout's primaries and backups and every record the
   * layout lacks (senders use them like any MX), null MX aside.
   */
  private static Context context(
      Layout layout, List<Draft> drafts, Map<String, Resolution> resolved) {
    Map<String, String> addresses = new LinkedHashMap<>();
    for (LayoutEntry e : layout.entries()) {
      if (e.role() != Role.TRAP) {
        addresses.putIfAbsent(
            Addresses.text(e.address()),
            e.role().label() + " MX " + e.preference() + " " + e.host() + " in the layout");
      }
    }
    Map<String, Role> roles = new LinkedHashMap<>();
    for (Expected e : expected(layout)) {
      roles.merge(e.host(), e.role(), (a, b) -> a == Role.TRAP ? b : a);
    }
    Context context = new Context(addresses, new ArrayList<>(), roles);
    for (Draft d : drafts) {
      if (d.record() == null || d.match() == Match.NULL_MX || context.role(d) == Role.TRAP) {
        continue;
      }
      context.realRecords().add(d);
      Resolution r = resolved.get(d.record().host());
      for (InetAddress a : r == null ? List.<InetAddress>of() : r.addresses()) {
        addresses.putIfAbsent(Addresses.text(a), describe(d, context) + " as published");
      }
    }
    return context;
  }

  /** Whether a trap, as published, can catch anyone, and only those who skip the order. */
  private static void trapFindings(Draft d, Resolution r, Context context, Set<Finding> out) {
    if (context.role(d) != Role.TRAP) {
      return;
    }
    String host = d.publishedRecord().host();
    int preference = d.publishedRecord().preference();
    // The trap's host has an address of a primary or backup: a sender there cannot be told from
    // one at the real MX, so the trap never fires (or fires on legitimate mail).
    List<String> shared =
        r.addresses().stream()
            .map(Addresses::text)
            .filter(context.realAddresses()::containsKey)
            .map(a -> a + " (" + context.realAddresses().get(a) + ")")
            .toList();
    if (!shared.isEmpty()) {
      out.add(
          new Finding(
              Code.TRAP_ADDRESS_IS_PRIMARY,
              host,
              "the trap has the address of a real MX: "
                  + String.join(", ", shared)
                  + "; a sender at the trap cannot be told from one at the real MX, and DNS"
                  + " carries no port to tell them apart"));
    }
    // A real MX above the trap: senders that go for the least preferred MX reach it, not the trap.
    List<String> above =
        context.realRecords().stream()
            .filter(x -> x.publishedRecord().preference() > preference)
            .map(x -> describe(x, context))
            .toList();
    if (!above.isEmpty()) {
      out.add(
          new Finding(
              Code.TRAP_NOT_HIGHEST,
              host,
              "trap at MX "
                  + preference
                  + " below "
                  + String.join(", ", above)
                  + ": traps must have the highest preference numbers, where spammers aim"));
    }
    // A real MX at the trap's preference: senders pick among equal preferences at random (RFC 5321
    // 5.1), so legitimate mail lands on the trap.
    List<String> beside =
        context.realRecords().stream()
            .filter(x -> x.publishedRecord().preference() == preference)
            .map(x -> describe(x, context))
            .toList();
    if (!beside.isEmpty()) {
      out.add(
          new Finding(
              Code.TRAP_SHARES_PREFERENCE,
              host,
              "trap at MX "
                  + preference
                  + " beside "
                  + String.join(", ", beside)
                  + ": senders pick among equal preferences at random (RFC 5321 5.1), so"
                  + " legitimate mail would land on the trap"));
    }
  }

  // --- helpers --------------------------------------------------------------------------------

  /** {@code backup MX 20 mx1.example.com}, or {@code MX 50 other.net (not in the layout)}. */
  private static String describe(Draft d, Context context) {
    String record = "MX " + d.publishedRecord().preference() + " " + d.publishedRecord().host();
    Role role = context.role(d);
    return role == null ? record + " (not in the layout)" : role.label() + " " + record;
  }

  private static List<Answer.Alias> aliases(@Nullable Answer<InetAddress> answer) {
    return switch (answer) {
      case null -> List.of();
      case Answer.Found<InetAddress> f -> f.aliases();
      case Answer.NotFound<InetAddress> n -> n.aliases();
      case Answer.Unknown<InetAddress> u -> List.of();
    };
  }

  private static Set<String> texts(List<InetAddress> addresses, boolean v4) {
    return addresses.stream()
        .map(Addresses::unmap)
        .filter(a -> (a instanceof Inet4Address) == v4)
        .map(Addresses::text)
        .collect(Collectors.toCollection(LinkedHashSet::new));
  }

  private static void aliasNote(String domain, List<Answer.Alias> aliases, List<String> notes) {
    if (!aliases.isEmpty()) {
      notes.add(
          aliases.stream().map(Answer.Alias::toString).collect(Collectors.joining(", "))
              + ": the MX records of "
              + aliases.get(aliases.size() - 1).target()
              + " were used for "
              + domain
              + " (RFC 5321 5.1)");
    }
  }
}
