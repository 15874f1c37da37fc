package org.mxtrap.dns;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.mxtrap.core.Addresses;

/**
 * Locates the target hosts of a domain as RFC 5321 section 5.1 tells an SMTP client to, the way a
 * mature MTA (Postfix's {@code smtp_domain_addr}) does, and reports what it cannot know instead of
 * guessing. Every decision is in {@link #locate}; lookups go through the {@link Dns} port and
 * shuffling through the {@link RandomGenerator} given, so tests replay both.
 *
 * <p>Thread-safe when the {@link Dns} and the {@link RandomGenerator} are (a {@code
 * SplittableRandom} is not; give each thread its own locator, or a synchronized generator).
 */
public final class MxLocator {

  /**
   * Bounds on the work and the attempts for one domain.
   *
   * @param maxHosts MX hosts looked up and tried; the rest are dropped, with a note
   * @param maxAddresses addresses tried over all hosts (Postfix's {@code smtp_mx_address_limit} is
   *     5); the rest are dropped, with a note
   */
  public record Limits(int maxHosts, int maxAddresses) {
    /** Generous enough to show a whole trap layout on two families; still bounded. */
    public static final Limits DEFAULTS = new Limits(10, 20);

    public Limits {
      if (maxHosts < 1 || maxAddresses < 1) {
        throw new IllegalArgumentException(
            "limits must be positive: " + maxHosts + ", " + maxAddresses);
      }
    }
  }

  private final Dns dns;
  private final RandomGenerator random;
  private final Limits limits;

  public MxLocator(Dns dns, RandomGenerator random, Limits limits) {
    this.dns = dns;
    this.random = random;
    this.limits = limits;
  }

  /**
   * The delivery order of {@code domain}: the hosts to try and their addresses, or why there is
   * none.
   *
   * @param domain the domain of a recipient, lower case without the final dot
   * @param self this host's names and addresses when it is an MX host forwarding mail (a backup),
   *     so that it never forwards to itself or to an MX no better than itself; {@link
   *     ThisHost#NONE} for a plain sender
   */
  public MxOrder locate(String domain, ThisHost self) {
    List<Note> notes = new ArrayList<>();
    List<MxRecord> records;
    boolean implicit = false;
    switch (dns.mx(domain)) {
      case Answer.Unknown<MxRecord> u -> {
        // The MX lookup could not be made: not even "no MX records" is known, so falling back to
        // the implicit MX would be a guess. Nothing is decided; a sender tries again later.
        return new MxOrder.Failed(
            domain,
            MxOrder.Failure.UNKNOWN,
            "the MX lookup could not be made: " + u.describe(),
            List.of(),
            notes);
      }
      case Answer.NotFound<MxRecord> n when n.absence() == Answer.Absence.NXDOMAIN -> {
        // The domain does not exist; it has no address either, so no implicit MX.
        return new MxOrder.Failed(
            domain,
            MxOrder.Failure.NO_SUCH_DOMAIN,
            "the domain does not exist (NXDOMAIN)",
            List.of(),
            notes);
      }
      case Answer.NotFound<MxRecord> n -> {
        // No MX records (NODATA): the domain itself is the implicit MX, preference 0 (RFC 5321
        // 5.1).
        notes.add(
            new Note(
                Note.Kind.IMPLICIT_MX,
                "no MX records: the domain itself is the mail host (implicit MX, preference 0)"));
        notesForAliases(n.aliases(), notes);
        records = List.of(new MxRecord(0, domain));
        implicit = true;
      }
      case Answer.Found<MxRecord> f -> {
        notesForAliases(f.aliases(), notes);
        List<MxRecord> found = f.values();
        if (found.size() == 1 && found.get(0).rootTarget()) {
          // RFC 7505: a lone MX whose target is the root is a null MX: the domain accepts no
          // mail, permanently. (Its preference should be 0; any other number is noted and means
          // the same.)
          int pref = found.get(0).preference();
          notes.add(
              new Note(
                  Note.Kind.NULL_MX,
                  "the only MX record is \"MX "
                      + pref
                      + " .\": a null MX (RFC 7505)"
                      + (pref == 0 ? "" : "; its preference should be 0")));
          return new MxOrder.Failed(
              domain,
              MxOrder.Failure.NULL_MX,
              "the domain accepts no mail (null MX, RFC 7505)",
              List.of(),
              notes);
        }
        records = found.stream().filter(r -> !r.rootTarget()).toList();
        if (records.size() < found.size()) {
          // A null MX must be the only MX record (RFC 7505 3). Beside others it is no host: it is
          // dropped, noted, and the other records are used.
          notes.add(
              new Note(
                  Note.Kind.NULL_MX,
                  "an MX record with target \".\" (null MX) among other MX records is ignored:"
                      + " RFC 7505 allows a null MX only alone"));
        }
      }
    }

    // Most preferred first; equal preferences in random order (RFC 5321 5.1), shuffled on every
    // call, as Postfix does for each delivery.
    List<MxRecord> ordered = shuffledByPreference(records);

    // The rule for MX hosts forwarding mail (RFC 5321 5.1): a host that finds itself in the list
    // drops itself and every entry of equal or higher preference number. By name first, before
    // any lookup, so that hosts about to be dropped are never looked up.
    int selfPreference = Integer.MAX_VALUE;
    String selfMatch = "";
    for (MxRecord r : ordered) {
      if (self.named(r.host())) {
        selfPreference = r.preference();
        selfMatch = "by name " + r.host();
        break;
      }
    }
    final int byName = selfPreference;
    List<MxRecord> candidates = ordered.stream().filter(r -> r.preference() < byName).toList();

    // The host limit bounds the lookups: hosts beyond it are neither looked up nor tried.
    if (candidates.size() > limits.maxHosts()) {
      List<MxRecord> dropped = candidates.subList(limits.maxHosts(), candidates.size());
      notes.add(
          new Note(
              Note.Kind.HOST_LIMIT,
              dropped.size()
                  + " more MX host(s) beyond the limit of "
                  + limits.maxHosts()
                  + " not looked up: "
                  + dropped.stream().map(MxRecord::toString).collect(Collectors.joining(", "))));
      candidates = candidates.subList(0, limits.maxHosts());
    }

    List<TargetHost> hosts = new ArrayList<>();
    for (MxRecord r : candidates) {
      hosts.add(lookUp(r, implicit));
    }

    // The same rule by address: the most preferred host that has one of this host's addresses.
    for (TargetHost h : hosts) {
      if (h.preference() < selfPreference) {
        Optional<InetAddress> mine = h.addresses().stream().filter(self::has).findFirst();
        if (mine.isPresent()) {
          selfPreference = h.preference();
          selfMatch = "by address " + Addresses.text(mine.get()) + " of " + h.host();
          break;
        }
      }
    }
    boolean selfListed = selfPreference != Integer.MAX_VALUE;
    if (selfListed) {
      final int pref = selfPreference;
      hosts = new ArrayList<>(hosts.stream().filter(h -> h.preference() < pref).toList());
      notes.add(
          new Note(
              Note.Kind.SELF,
              "this host is MX "
                  + pref
                  + " ("
                  + selfMatch
                  + "): it and every MX of preference "
                  + pref
                  + " or higher are dropped (RFC 5321 5.1)"));
    }

    // The address limit bounds the attempts: addresses beyond it, in order, are not tried.
    int budget = limits.maxAddresses();
    int cut = 0;
    for (int i = 0; i < hosts.size(); i++) {
      TargetHost h = hosts.get(i);
      if (h.addresses().size() > budget) {
        cut += h.addresses().size() - budget;
        List<Note> hn = new ArrayList<>(h.notes());
        hn.add(
            new Note(
                Note.Kind.ADDRESS_LIMIT,
                (h.addresses().size() - budget)
                    + " address(es) beyond the limit of "
                    + limits.maxAddresses()
                    + " not tried"));
        hosts.set(
            i, new TargetHost(h.preference(), h.host(), h.addresses().subList(0, budget), hn));
      }
      budget -= hosts.get(i).addresses().size();
    }
    if (cut > 0) {
      notes.add(
          new Note(
              Note.Kind.ADDRESS_LIMIT,
              cut + " address(es) beyond the limit of " + limits.maxAddresses() + " not tried"));
    }

    if (hosts.stream().anyMatch(h -> !h.addresses().isEmpty())) {
      // Something to try. Hosts without an address stay listed with their notes; a sender skips
      // them, and an unknown lookup for one host is a note on it, not a reason to give up.
      return new MxOrder.Ordered(domain, hosts, notes);
    }
    boolean anyUnknown = hosts.stream().anyMatch(TargetHost::unknown);
    if (selfListed) {
      final int pref = selfPreference;
      if (ordered.stream().noneMatch(r -> r.preference() < pref)) {
        // This host is the most preferred MX: there is nobody to forward to, and forwarding to
        // itself would be a loop. Permanent (Postfix: 5.4.6 "mail loops back to myself").
        return new MxOrder.Failed(
            domain,
            MxOrder.Failure.LOOPS_BACK,
            "this host is the most preferred MX (" + selfMatch + "): mail would loop back to it",
            hosts,
            notes);
      }
      // Better MX hosts exist but none has a known address: the primary may be back soon; hold
      // the mail (Postfix: 4.4.4 "unable to find primary relay"). Never a loop.
      return new MxOrder.Failed(
          domain,
          MxOrder.Failure.NO_BETTER_HOST,
          "this host is MX "
              + pref
              + ", and no MX host of a lower preference number has a known address"
              + (anyUnknown ? " (some lookups could not be made)" : ""),
          hosts,
          notes);
    }
    if (anyUnknown) {
      // No address found, but some lookups could not be made: the missing address may exist. An
      // unknown outcome dominates "not found", as in Postfix.
      return new MxOrder.Failed(
          domain,
          MxOrder.Failure.UNKNOWN,
          "no MX host has a known address, and address lookups could not be made",
          hosts,
          notes);
    }
    // Every lookup answered, and no host has an address: permanent.
    return new MxOrder.Failed(
        domain,
        MxOrder.Failure.NO_ADDRESS,
        implicit
            ? "the domain has no MX record and no address of its own"
            : "no MX host has an address",
        hosts,
        notes);
  }

  /** The records sorted by preference, equal preferences in random order. */
  private List<MxRecord> shuffledByPreference(List<MxRecord> records) {
    List<MxRecord> out = new ArrayList<>(records);
    for (int i = out.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      MxRecord t = out.get(i);
      out.set(i, out.get(j));
      out.set(j, t);
    }
    out.sort(Comparator.comparingInt(MxRecord::preference)); // stable: keeps the shuffle
    return out;
  }

  /**
   * The addresses of one MX target: the literal it is, or its A and AAAA records.
   *
   * @param implicit whether the target is the domain itself, which may be an alias
   */
  private TargetHost lookUp(MxRecord r, boolean implicit) {
    List<Note> notes = new ArrayList<>();
    Optional<InetAddress> literal = literal(r.host());
    if (literal.isPresent()) {
      notes.add(
          new Note(
              Note.Kind.ADDRESS_LITERAL,
              r.host()
                  + " is an IP address, not a host name (RFC 5321 5.1 wants a name); used as the"
                  + " address"));
      return new TargetHost(r.preference(), r.host(), List.of(literal.get()), notes);
    }
    List<InetAddress> addresses = new ArrayList<>();
    List<String> absent = new ArrayList<>();
    List<Answer.Alias> aliases = new ArrayList<>();
    for (String family : List.of("A", "AAAA")) {
      Answer<InetAddress> answer = family.equals("A") ? dns.a(r.host()) : dns.aaaa(r.host());
      switch (answer) {
        case Answer.Found<InetAddress> f -> {
          addresses.addAll(f.values());
          addAliases(aliases, f.aliases());
        }
        case Answer.NotFound<InetAddress> n -> {
          absent.add(
              family + " " + (n.absence() == Answer.Absence.NXDOMAIN ? "NXDOMAIN" : "NODATA"));
          addAliases(aliases, n.aliases());
        }
        case Answer.Unknown<InetAddress> u ->
            notes.add(
                new Note(
                    Note.Kind.UNKNOWN_LOOKUP,
                    "the " + family + " lookup could not be made: " + u.describe()));
      }
    }
    if (!aliases.isEmpty() && !implicit) {
      notes.add(
          0,
          new Note(
              Note.Kind.CNAME_TARGET,
              aliases.stream().map(Answer.Alias::toString).collect(Collectors.joining(", "))
                  + ": an MX target must be a host name, not an alias (RFC 2181 10.3, RFC 5321"
                  + " 5.1); followed"));
    }
    if (addresses.isEmpty() && absent.size() == 2) {
      notes.add(
          new Note(
              Note.Kind.NO_ADDRESS,
              "no A or AAAA record (" + String.join(", ", absent) + "): skipped"));
    }
    return new TargetHost(r.preference(), r.host(), addresses, notes);
  }

  private static void addAliases(List<Answer.Alias> into, List<Answer.Alias> more) {
    for (Answer.Alias a : more) {
      if (!into.contains(a)) {
        into.add(a);
      }
    }
  }

  private static void notesForAliases(List<Answer.Alias> aliases, List<Note> notes) {
    if (!aliases.isEmpty()) {
      notes.add(
          new Note(
              Note.Kind.DOMAIN_CNAME,
              aliases.stream().map(Answer.Alias::toString).collect(Collectors.joining(", "))
                  + ": the MX records of the target were used (RFC 5321 5.1)"));
    }
  }

  /**
   * An MX target that is an IP address written as a name ({@code MX 10 192.0.2.1.}); also in
   * brackets, as in an address literal.
   */
  private static Optional<InetAddress> literal(String host) {
    String h =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return Addresses.parse(h);
  }
}
