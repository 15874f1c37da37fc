package org.mxtrap.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;

/**
 * The SPF check of RFC 7208: whether a domain authorizes a client address to send its mail, within
 * a budget of time.
 *
 * <p>{@link #checkHost} is the RFC's {@code check_host()} (section 4): the domain's one {@code
 * v=spf1} TXT record (4.5; none is {@link SpfResult#NONE}, several a permerror) is parsed whole (a
 * syntax error anywhere is a permerror), then its mechanisms {@code all include a mx ptr ip4 ip6
 * exists} are tried in order, each with its qualifier and {@code a}/{@code mx} with their dual CIDR
 * lengths; when none matches, {@code redirect} is followed (unless the record has {@code all});
 * {@code exp} and unknown modifiers are ignored. Domain-specs are macro-expanded (section 7, {@link
 * SpfMacroString}); a name that is still too long loses labels on the left (4.8); an expanded name
 * that is not a DNS name is a permerror.
 *
 * <p><b>Limits</b> (4.6.4), over the whole check, includes and redirects counted in: at most
 * {@value #MAX_DNS_TERMS} terms that query DNS ({@code include a mx ptr exists redirect}); at most
 * {@value #MAX_NAMES} MX records per {@code mx} (more is a permerror) and PTR names per {@code ptr}
 * or {@code %{p}} (the rest are ignored); at most {@value #MAX_VOID_LOOKUPS} void lookups (NXDOMAIN
 * or NODATA). Each exceeded limit is a permerror. A void lookup is that of a term's own name: the
 * addresses of {@code a}, the MX records of {@code mx}, the PTR records of {@code ptr} and {@code
 * %{p}}, the A records of {@code exists}; an MX host or PTR name without addresses is not one (an
 * IPv6 client would otherwise reach the limit on any domain with three IPv4-only MX hosts).
 *
 * <p><b>Unknowns.</b> A lookup that could not be made ({@link Answer.Unknown}) is a {@link
 * SpfResult#TEMPERROR}, never a mechanism that does not match (STYLE.md rule 3). Where the RFC says
 * otherwise, this class keeps to that rule: for {@code ptr} and {@code %{p}} (5.5, 7.3), a PTR
 * lookup or a forward lookup that could not be made, with no other name validated, is a temperror
 * rather than no match or "unknown"; and an MX host whose addresses are unknown makes {@code mx} a
 * temperror unless another host matches.
 *
 * <p><b>Time.</b> The check runs on a virtual thread of its own through the {@link Dns} port (whose
 * cache keeps answers for their TTL; there is no other cache). {@link #checkHost} returns within
 * the budget: a check still running then is abandoned, its lookup interrupted, and the outcome is a
 * temperror. Thread-safe.
 */
public final class Spf {

  /** The most terms that query DNS in one check (4.6.4). */
  static final int MAX_DNS_TERMS = 10;

  /** The most lookups with an empty answer in one check (4.6.4). */
  static final int MAX_VOID_LOOKUPS = 2;

  /** The most MX records of one {@code mx}, PTR names of one {@code ptr} or {@code %{p}}. */
  static final int MAX_NAMES = 10;

  private final Dns dns;
  private final Duration budget;

  /**
   * @param dns where the lookups go
   * @param budget how long one check may take in all; positive
   */
  public Spf(Dns dns, Duration budget) {
    if (budget.isNegative() || budget.isZero()) {
      throw new IllegalArgumentException("budget must be positive: " + budget);
    }
    this.dns = dns;
    this.budget = budget;
  }

  /**
   * {@code check_host(ip, domain, sender)} of RFC 7208 section 4, within the budget. Blocks; never
   * throws for a DNS failure or a bad record.
   *
   * @param ip the client's address (an IPv4-mapped address counts as IPv4)
   * @param domain the domain whose record is checked: the sender's domain, or the HELO name; a name
   *     that is not a domain name of two labels or more is {@link SpfResult#NONE} (4.3)
   * @param sender the MAIL FROM address ({@code local@domain}); without a local part it is {@code
   *     postmaster@domain}, and empty (the null reverse-path) it is {@code postmaster@helo} (2.4)
   * @param helo the HELO or EHLO name, for the {@code %{h}} macro
   */
  public SpfOutcome checkHost(InetAddress ip, String domain, String sender, String helo) {
    InetAddress client = Addresses.unmap(ip);
    int at = sender.lastIndexOf('@');
    String mailbox =
        sender.isEmpty()
            ? "postmaster@" + helo
            : at < 0 ? "postmaster@" + sender : at == 0 ? "postmaster" + sender : sender;
    return BoundedLookup.start(
            "spf", budget, () -> new Evaluation(client, mailbox, helo).checkHost(domain))
        .await(why -> new SpfOutcome(SpfResult.TEMPERROR, domain + ": " + why));
  }

  /**
   * A name to look up, or null when {@code text} is not a DNS name (empty or overlong labels,
   * characters outside visible ASCII, a backslash). Lower case, without the final dot; a name over
   * 253 characters loses labels on the left until it fits (4.8).
   */
  static @Nullable String dnsName(String text) {
    String n = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
    while (n.length() > 253) {
      int dot = n.indexOf('.');
      if (dot < 0) {
        return null;
      }
      n = n.substring(dot + 1);
    }
    if (n.isEmpty() || n.equals("@")) {
      return null;
    }
    for (String label : n.split("\\.", -1)) {
      if (label.isEmpty() || label.length() > 63) {
        return null;
      }
    }
    if (!n.chars().allMatch(c -> c >= 0x21 && c <= 0x7e && c != '\\')) {
      return null;
    }
    return n.toLowerCase(Locale.ROOT);
  }

  /**
   * A check that ends with {@link #outcome}: a permerror, a temperror or none found deep in the
   * evaluation. Unchecked only so that it passes through the {@code %{p}} supplier; it never leaves
   * this class.
   */
  private static final class Ended extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final SpfResult result;

    Ended(SpfResult result, String reason) {
      super(reason, null, false, false);
      this.result = result;
    }

    /** The same end, said of a term or a domain. */
    Ended within(String where) {
      return new Ended(result, where + ": " + getMessage());
    }

    SpfOutcome outcome() {
      return new SpfOutcome(result, Objects.requireNonNull(getMessage()));
    }
  }

  /** One {@link #checkHost}, with its counts; confined to the thread that runs it. */
  private final class Evaluation {
    private final InetAddress ip;
    private final String sender;
    private final String helo;
    private int dnsTerms;
    private int voidLookups;

    Evaluation(InetAddress ip, String sender, String helo) {
      this.ip = ip;
      this.sender = sender;
      this.helo = helo;
    }

    /** check_host() for {@code domain}, the first or one that an include or redirect names. */
    SpfOutcome checkHost(String domain) {
      String name = dnsName(domain);
      if (name == null || name.indexOf('.') < 0) {
        return new SpfOutcome(SpfResult.NONE, domain + ": not a domain name");
      }
      try {
        return evaluate(name);
      } catch (Ended e) {
        return e.within(name).outcome();
      }
    }

    private SpfOutcome evaluate(String domain) {
      SpfRecord record = record(domain);
      SpfMacroString.Values values =
          new SpfMacroString.Values(sender, domain, ip, helo, () -> validatedName(domain, false));
      for (SpfRecord.Directive d : record.directives()) {
        String detail;
        try {
          detail = match(d, domain, values);
        } catch (Ended e) {
          throw e.within(d.text());
        }
        if (detail != null) {
          return new SpfOutcome(d.qualifier(), domain + ": " + d.text() + " matched" + detail);
        }
      }
      SpfMacroString redirect = record.redirect();
      if (redirect == null) {
        return new SpfOutcome(SpfResult.NEUTRAL, domain + ": no mechanism matched");
      }
      String term = "redirect=" + redirect;
      countDnsTerm(term);
      SpfOutcome target = checkHost(target(redirect, values, term));
      if (target.result() == SpfResult.NONE) {
        throw new Ended(SpfResult.PERMERROR, term + ": " + target.reason());
      }
      return new SpfOutcome(target.result(), domain + ": " + term + ": " + target.reason());
    }

    /** The one SPF record of {@code domain} (4.4, 4.5), parsed. */
    private SpfRecord record(String domain) {
      List<String> spf =
          switch (dns.txt(domain)) {
            case Answer.Found<String> f -> f.values().stream().filter(SpfRecord::isSpf).toList();
            case Answer.NotFound<String> n ->
                throw new Ended(SpfResult.NONE, "no SPF record (" + n.absence() + ")");
            case Answer.Unknown<String> u ->
                throw new Ended(SpfResult.TEMPERROR, "TXT " + u.describe());
          };
      if (spf.size() != 1) {
        throw spf.isEmpty()
            ? new Ended(SpfResult.NONE, "no SPF record among its TXT records")
            : new Ended(SpfResult.PERMERROR, spf.size() + " SPF records, where one is allowed");
      }
      try {
        return SpfRecord.parse(spf.getFirst());
      } catch (SpfRecord.SyntaxError e) {
        throw new Ended(SpfResult.PERMERROR, "syntax: " + e.getMessage());
      }
    }

    /**
     * Whether {@code d} matches: null when it does not, else what to add to "matched" (empty, or
     * the included record's reason).
     */
    private @Nullable String match(
        SpfRecord.Directive d, String domain, SpfMacroString.Values values) {
      if (d.mechanism().queriesDns()) {
        countDnsTerm(d.text());
      }
      SpfMacroString spec = d.domain();
      String target = spec == null ? domain : target(spec, values, d.text());
      return switch (d.mechanism()) {
        case ALL -> "";
        case IP4, IP6 -> Objects.requireNonNull(d.network()).contains(ip) ? "" : null;
        case A -> inNetwork(addresses(target, true), d) ? "" : null;
        case MX -> mx(target, d);
        case PTR -> validatedName(target, true) == null ? null : "";
        case EXISTS -> values(dns.a(target), "A " + target, true).isEmpty() ? null : "";
        case INCLUDE -> include(target);
      };
    }

    private void countDnsTerm(String term) {
      if (++dnsTerms > MAX_DNS_TERMS) {
        throw new Ended(
            SpfResult.PERMERROR,
            "more than " + MAX_DNS_TERMS + " terms that query DNS, at " + term);
      }
    }

    /** A domain-spec expanded into the name to look up (4.8); not a DNS name is a permerror. */
    private String target(SpfMacroString spec, SpfMacroString.Values values, String term) {
      String expanded = spec.expand(values);
      String name = dnsName(expanded);
      if (name == null) {
        throw new Ended(SpfResult.PERMERROR, term + " names " + expanded + ", not a DNS name");
      }
      return name;
    }

    /** {@code include} (5.2): a pass matches; fail, softfail, neutral do not; none is an error. */
    private @Nullable String include(String target) {
      SpfOutcome inner = checkHost(target);
      return switch (inner.result()) {
        case PASS -> " (" + inner.reason() + ")";
        case FAIL, SOFTFAIL, NEUTRAL -> null;
        case TEMPERROR -> throw new Ended(SpfResult.TEMPERROR, inner.reason());
        case PERMERROR -> throw new Ended(SpfResult.PERMERROR, inner.reason());
        case NONE -> throw new Ended(SpfResult.PERMERROR, inner.reason());
      };
    }

    /** {@code mx} (5.4): the addresses of each MX host; a null MX's root is no host. */
    private @Nullable String mx(String target, SpfRecord.Directive d) {
      List<MxRecord> records = values(dns.mx(target), "MX " + target, true);
      if (records.size() > MAX_NAMES) {
        throw new Ended(
            SpfResult.PERMERROR,
            target + " has " + records.size() + " MX records, over " + MAX_NAMES);
      }
      String unknown = null;
      for (MxRecord r : records) {
        if (r.rootTarget()) {
          continue;
        }
        try {
          if (inNetwork(addresses(r.host(), false), d)) {
            return " (by " + r.host() + ")";
          }
        } catch (Ended e) {
          if (e.result != SpfResult.TEMPERROR) {
            throw e;
          }
          unknown = e.getMessage(); // another host may still match
        }
      }
      if (unknown != null) {
        throw new Ended(SpfResult.TEMPERROR, unknown);
      }
      return null;
    }

    /**
     * A PTR name of the client that leads back to its address (5.5): of the first {@value
     * #MAX_NAMES} PTR names, those equal to {@code domain} or under it first, then, unless {@code
     * onlyUnder}, the others. Null when none is validated; a temperror when none is and a lookup
     * could not be made. The {@code %{p}} macro uses it too, as "unknown" when null.
     */
    private @Nullable String validatedName(String domain, boolean onlyUnder) {
      List<String> names = values(dns.ptr(ip), "PTR " + Addresses.text(ip), true);
      List<String> ordered = new ArrayList<>();
      List<String> others = new ArrayList<>();
      for (String n : names.subList(0, Math.min(MAX_NAMES, names.size()))) {
        (n.equals(domain) || n.endsWith("." + domain) ? ordered : others).add(n);
      }
      if (!onlyUnder) {
        ordered.addAll(others);
      }
      String unknown = null;
      for (String n : ordered) {
        try {
          if (addresses(n, false).stream().anyMatch(a -> a.equals(ip))) {
            return n;
          }
        } catch (Ended e) {
          if (e.result != SpfResult.TEMPERROR) {
            throw e;
          }
          unknown = e.getMessage();
        }
      }
      if (unknown != null) {
        throw new Ended(SpfResult.TEMPERROR, unknown);
      }
      return onlyUnder ? null : "unknown";
    }

    /** The addresses of {@code host} in the client's family: A for IPv4, AAAA for IPv6 (5). */
    private List<InetAddress> addresses(String host, boolean mayBeVoid) {
      return ip instanceof Inet4Address
          ? values(dns.a(host), "A " + host, mayBeVoid)
          : values(dns.aaaa(host), "AAAA " + host, mayBeVoid);
    }

    /**
     * Whether one of {@code addresses} is in the same network as the client, by {@code d}'s length.
     */
    private boolean inNetwork(List<InetAddress> addresses, SpfRecord.Directive d) {
      int length = ip instanceof Inet4Address ? d.v4Length() : d.v6Length();
      return addresses.stream().anyMatch(a -> Cidr.of(a, length).contains(ip));
    }

    /**
     * The values found; none when there are none, which is a void lookup when {@code mayBeVoid}.
     * Unknown is a temperror.
     */
    private <T> List<T> values(Answer<T> answer, String query, boolean mayBeVoid) {
      return switch (answer) {
        case Answer.Found<T> f -> f.values();
        case Answer.NotFound<T> n -> {
          if (mayBeVoid && ++voidLookups > MAX_VOID_LOOKUPS) {
            throw new Ended(
                SpfResult.PERMERROR,
                "more than " + MAX_VOID_LOOKUPS + " void lookups, at " + query + " " + n.absence());
          }
          yield List.of();
        }
        case Answer.Unknown<T> u ->
            throw new Ended(SpfResult.TEMPERROR, query + " " + u.describe());
      };
    }
  }
}
