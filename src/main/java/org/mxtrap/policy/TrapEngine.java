package org.mxtrap.policy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.Durations;
import org.mxtrap.config.StateSettings;
import org.mxtrap.config.SuppressSettings;
import org.mxtrap.config.TrapSettings;
import org.mxtrap.core.Action;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Admission;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.core.Sender;
import org.mxtrap.core.Verdict;
import org.mxtrap.dns.Dnsbl;
import org.mxtrap.dns.ReverseName;
import org.mxtrap.dns.ReverseNames;
import org.mxtrap.dns.Spf;
import org.mxtrap.dns.SpfOutcome;
import org.mxtrap.dns.SpfResult;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;
import org.mxtrap.state.ContactHistory;
import org.mxtrap.state.IdentityHistory;
import org.mxtrap.state.StateView;
import org.mxtrap.state.Suppression;
import org.mxtrap.state.SuppressionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trap engine. For every contact it first records the contact (whatever it will answer), then
 * decides in the precedence of PRODUCT.md, first match wins:
 *
 * <ol>
 *   <li>allow list: {@code allowed}, served, never suppressed;
 *   <li>a trusted relay ({@code trusted_relays}, our backups): {@code allowed}, as if on the allow
 *       list; what it says about its own clients is judged by {@link #relayed};
 *   <li>block list: {@code blocked}, {@code suppress.action};
 *   <li>an active suppression: {@code suppressed}, {@code suppress.action};
 *   <li>the DNSBL score at or above {@code dnsbl.threshold}: {@code dnsbl}, {@code suppress.action}
 *       (a tempfail when only zones that could not be asked make the score), no suppression (see
 *       {@link DnsblCheck});
 *   <li>while the view of the shared state is partial ({@link StateView}) and {@code
 *       state.on_outage} is {@code closed}: the verdict the steps below reach on what this host
 *       knows, but tempfailed, and nobody suppressed;
 *   <li>on the primary, or for a client a trusted relay named ({@link #relayed}): {@code accept};
 *   <li>on a trap or backup, a contact from the client's network at a lower preference within
 *       {@code trap.window}: {@code fallback}, served;
 *   <li>on a trap that is not {@link Arming armed}, or while the view of the shared state is
 *       partial: {@code disarmed}, tempfail, no suppression (the contact that would excuse the
 *       client may be one that this host cannot see);
 *   <li>on an armed trap: {@code mx-skip}, {@code trap.on_trap}, suppressed;
 *   <li>on a backup while the lower entries were continuously available: {@code backup-skip},
 *       answered as {@code trap.backup_skip} says; otherwise, or while the view is partial, {@code
 *       accept} (a real MTA may come straight to the backup for hours after the primary failed it).
 * </ol>
 *
 * <p><b>Where the DNSBL check stands, and why.</b> After the three lists of our own: the allow list
 * must win over a public list (an operator allows a partner that some list lists), and a blocked or
 * suppressed client is refused without spending a DNS query on it, so a flood of known offenders
 * costs no resolver traffic. Before every trap check: a list's judgement holds on every entry
 * alike, like the block list. If it came after {@code fallback}, a listed sender refused at the
 * primary (421) would walk on to a trap and be served there as a legitimate fallback, the primary's
 * refusal being its excuse. The price: a listed client that goes straight to an armed trap gets
 * {@code dnsbl}, not {@code mx-skip}, and is not suppressed by us; it stays refused everywhere
 * while the list lists it, and meets the trap on its own terms once delisted.
 *
 * <p><b>DNS and time.</b> When the checks reach the DNSBL step, the zones are asked (in parallel,
 * within {@code dnsbl.timeout}) while the client's reverse name is looked up (within {@code
 * dns.ptr_budget}), so the greeting waits for the longer of the two at most. Allowed clients get
 * the reverse-name lookup only; blocked, suppressed and turned-away ones (over the connection
 * limits: they get 421 whatever we find) get no lookup at all. The verified reverse name rides on
 * the {@link Decision}, for the Received header and the decision log; it never decides anything.
 * {@link #wouldDecide} asks the DNSBL zones (never the reverse name), once per call.
 *
 * <p>Every decision is told to {@link Events} as {@link Event.Decided}; every suppression it makes
 * as {@link Event.Suppressed}, and a suppression store that fails as {@link Event.StoreFailed}.
 * Thread-safe.
 */
public final class TrapEngine implements Admission {
  private static final Logger log = LoggerFactory.getLogger("policy");

  // What the engine judges by, swapped in one step by reload: each decision reads it once.
  private volatile Judging judging;
  private final ContactHistory contacts;
  private final SuppressionStore suppressions;
  private final Arming arming;
  private final @Nullable ReverseNames reverseNames;
  private final StateView view;
  private final IdentityHistory identities;
  private final @Nullable Spf spf;
  private final Events events;

  /**
   * What the engine judges by: the sections of the configuration it reads.
   *
   * @param allow {@code allow}: never suppressed, always served
   * @param block {@code block}: always refused with {@code suppress.action}
   * @param trustedRelays {@code trusted_relays}: served like {@code allow}
   * @param onOutage {@code state.on_outage}: what a partial view of the shared state does
   * @param allowPools {@code allow_pools}: domains whose SPF-authorized clients are never
   *     suppressed
   */
  public record Rules(
      TrapSettings trap,
      SuppressSettings suppress,
      List<Cidr> allow,
      List<Cidr> block,
      List<Cidr> trustedRelays,
      StateSettings.OnOutage onOutage,
      List<String> allowPools) {
    public Rules {
      allow = List.copyOf(allow);
      allowPools = List.copyOf(allowPools);
      block = List.copyOf(block);
      trustedRelays = List.copyOf(trustedRelays);
    }
  }

  /**
   * @param dnsbl the DNS blocklists asked about every client the lists do not settle
   * @param reverseNames the reverse-name lookup within {@code dns.ptr_budget}, or null when reverse
   *     names are off
   * @param view whether the state the three stores share is whole: {@link StateView#WHOLE} for the
   *     embedded store, and only for it (with no DNS either, the engine {@link #decidesFromMemory})
   * @param identities the senders' identities by preference: a trap or backup contact with no lower
   *     contact from its network is excused by a lower one of the same identity (with reverse names
   *     on: the registered domain of a forward-confirmed name, {@link Identities}; with the
   *     sender's domain known, the domain whose SPF record authorizes both clients)
   * @param spf the SPF checks within {@code dns.spf_budget}, or null when SPF is off
   */
  public TrapEngine(
      Rules rules,
      ContactHistory contacts,
      SuppressionStore suppressions,
      Arming arming,
      Dnsbl dnsbl,
      @Nullable ReverseNames reverseNames,
      StateView view,
      IdentityHistory identities,
      @Nullable Spf spf,
      Events events) {
    this.judging = new Judging(rules, new DnsblCheck(dnsbl, rules.suppress().action()));
    this.contacts = contacts;
    this.suppressions = suppressions;
    this.arming = arming;
    this.reverseNames = reverseNames;
    this.view = view;
    this.identities = identities;
    this.spf = spf;
    this.events = events;
  }

  /** The rules and the DNSBL check made of them: one value, so a reload swaps both at once. */
  private record Judging(Rules rules, DnsblCheck dnsbl) {}

  /**
   * Judges by {@code rules} and {@code dnsbl} from now on: every decision that starts after this
   * call uses them, one in progress finishes with what it started with. For a reload of the config;
   * the stores, the arming and the DNS lookups stay as they are. Never blocks a decision.
   *
   * @param dnsbl asked about every client the lists do not settle; whether it has zones must not
   *     differ from the one the engine was made with when a caller relies on {@link
   *     #decidesFromMemory} (the Postfix policy service reads it once)
   */
  public void reload(Rules rules, Dnsbl dnsbl) {
    judging = new Judging(rules, new DnsblCheck(dnsbl, rules.suppress().action()));
  }

  @Override
  public boolean decidesFromMemory() {
    return view == StateView.WHOLE
        && reverseNames == null
        && !judging.dnsbl().enabled()
        && spf == null;
  }

  @Override
  public Decision connect(Contact contact) {
    return connect(contact, Sender.NONE, true);
  }

  @Override
  public Decision connect(Contact contact, Sender sender) {
    return connect(contact, sender, false);
  }

  @Override
  public boolean decidesAtMail(LayoutEntry entry) {
    return judging.rules().trap().decideAt() == TrapSettings.DecideAt.MAIL
        && entry.role() != Role.PRIMARY;
  }

  /** The reason of a decision that waits for MAIL FROM ({@link #decidesAtMail}). */
  static final String AT_MAIL = "decided after MAIL FROM (trap.decide_at: mail)";

  /**
   * @param greeting whether the client has said nothing yet: a contact {@link #decidesAtMail} then
   *     gets {@link #AT_MAIL}, unless the lists settle it
   */
  private Decision connect(Contact contact, Sender sender, boolean greeting) {
    Judging j = judging;
    Rules rules = j.rules();
    contacts.record(contact.client(), contact.entry().preference(), contact.at());
    // A contact the connection limits turn away gets 421 whatever we find: no DNS time for it.
    boolean lookups = !contact.turnedAway();
    boolean atMail = greeting && !contact.turnedAway() && decidesAtMail(contact.entry());
    Decision d =
        decide(
            rules,
            contact,
            sender,
            atMail,
            false,
            lookups ? () -> j.dnsbl().check(contact.client()) : () -> DnsblCheck.SILENT,
            lookups);
    String name = d.reverseName();
    if (name != null) {
      Identities.ofReverseName(contact.client(), name).ifPresent(id -> remember(id, contact));
    }
    identified(contact, sender);
    if (atMail && d.verdict() == Verdict.ACCEPT) {
      return d; // the session asks again after MAIL FROM; that decision is the one logged
    }
    if (contact.turnedAway()) {
      // What the client gets is the server's 421 for its connection limits, whatever we found.
      d =
          new Decision(
              d.verdict(),
              Action.TEMPFAIL,
              d.reason() + "; turned away: connection limit reached",
              d.until(),
              d.reverseName());
    }
    events.on(new Event.Decided(contact, d));
    return d;
  }

  @Override
  public void identified(Contact contact, Sender sender) {
    Identities.ofSender(sender).ifPresent(id -> remember(id, contact));
  }

  private void remember(String identity, Contact c) {
    identities.record(identity, c.client(), c.entry().preference(), c.at());
  }

  @Override
  public Decision earlyTalker(Contact contact) {
    Rules rules = judging.rules();
    Decision d;
    Cidr allowed = match(rules.allow(), contact.client());
    if (allowed != null) {
      d =
          new Decision(
              Verdict.ALLOWED,
              Action.ACCEPT,
              "sent before the greeting, but on the allow list (" + allowed + ")",
              null);
    } else {
      d =
          suppress(
              rules,
              contact,
              Verdict.EARLY_TALKER,
              rules.suppress().action(),
              "sent before the greeting on " + contact.entry().describe(),
              false);
    }
    events.on(new Event.Decided(contact, d));
    return d;
  }

  @Override
  public Decision dictionary(Contact contact, int unknownRecipients) {
    Rules rules = judging.rules();
    Decision d;
    Cidr allowed = match(rules.allow(), contact.client());
    String evidence =
        unknownRecipients + " unknown recipients in one session on " + contact.entry().describe();
    if (allowed != null) {
      d =
          new Decision(
              Verdict.ALLOWED,
              Action.ACCEPT,
              evidence + ", but on the allow list (" + allowed + ")",
              null);
    } else {
      d = suppress(rules, contact, Verdict.DICTIONARY, rules.suppress().action(), evidence, false);
    }
    events.on(new Event.Decided(contact, d));
    return d;
  }

  /**
   * The client a trusted relay named, by the lists, suppressions and DNSBLs; its reverse name is
   * not looked up (the relay names it, XCLIENT NAME), no contact is recorded.
   */
  @Override
  public Decision relayed(Contact contact) {
    InetAddress relay = contact.relay();
    if (relay == null) {
      throw new IllegalArgumentException("not a relayed contact: " + contact);
    }
    Judging j = judging;
    Rules rules = j.rules();
    Decision d =
        decide(
            rules,
            contact,
            Sender.NONE,
            false,
            false,
            () -> j.dnsbl().check(contact.client()),
            false);
    d = d.withMoreReason("relayed by " + Addresses.text(relay));
    events.on(new Event.Decided(contact, d));
    return d;
  }

  /**
   * What the engine would decide about {@code client} on {@code entry} at {@code now}, without
   * recording a contact or suppressing anyone: for {@code explain}.
   */
  public Decision wouldDecide(InetAddress client, LayoutEntry entry, Instant now) {
    return wouldDecide(client, List.of(entry), now).get(0);
  }

  /**
   * What the engine would decide about {@code client} on each of {@code entries} at {@code now}, in
   * their order, without recording a contact or suppressing anyone: for {@code explain}. The DNSBL
   * zones are asked at most once (within {@code dnsbl.timeout}); the reverse name is looked up for
   * each entry (within {@code dns.ptr_budget}; the resolver's cache answers the second time).
   */
  public List<Decision> wouldDecide(InetAddress client, List<LayoutEntry> entries, Instant now) {
    Judging j = judging;
    Rules rules = j.rules();
    DnsblCheck.Outcome[] once = new DnsblCheck.Outcome[1];
    Supplier<DnsblCheck.Outcome> lists =
        () -> {
          if (once[0] == null) {
            once[0] = j.dnsbl().check(client);
          }
          return once[0];
        };
    List<Decision> out = new ArrayList<>(entries.size());
    for (LayoutEntry e : entries) {
      out.add(
          decide(
              rules,
              new Contact(client, e.socketAddress(), e, now),
              Sender.NONE,
              false,
              true,
              lists,
              true));
    }
    return out;
  }

  /** The allow-list prefix that contains {@code client}, if any. */
  public Optional<Cidr> allowedBy(InetAddress client) {
    return Optional.ofNullable(match(judging.rules().allow(), client));
  }

  /** The block-list prefix that contains {@code client}, if any. */
  public Optional<Cidr> blockedBy(InetAddress client) {
    return Optional.ofNullable(match(judging.rules().block(), client));
  }

  /**
   * The precedence of the class comment.
   *
   * @param atMail whether the layout's checks wait for MAIL FROM ({@link #AT_MAIL} in their place)
   * @param dnsblOutcome asks the DNSBL zones: called at most once, and only when the checks get
   *     that far
   * @param named whether the client's reverse name is looked up (served or DNSBL-judged clients
   *     only)
   */
  private Decision decide(
      Rules rules,
      Contact c,
      Sender sender,
      boolean atMail,
      boolean dryRun,
      Supplier<DnsblCheck.Outcome> dnsblOutcome,
      boolean named) {
    @Nullable ReverseNames r = named ? reverseNames : null;
    Cidr allowed = match(rules.allow(), c.client());
    if (allowed != null) {
      Decision d =
          new Decision(Verdict.ALLOWED, Action.ACCEPT, "on the allow list (" + allowed + ")", null);
      return r == null ? d : d.withReverseName(r.lookup(c.client()).verifiedName());
    }
    Cidr relay = match(rules.trustedRelays(), c.client());
    if (relay != null) {
      Decision d =
          new Decision(Verdict.ALLOWED, Action.ACCEPT, "a trusted relay (" + relay + ")", null);
      return r == null ? d : d.withReverseName(r.lookup(c.client()).verifiedName());
    }
    Cidr blocked = match(rules.block(), c.client());
    if (blocked != null) {
      return new Decision(
          Verdict.BLOCKED, rules.suppress().action(), "on the block list (" + blocked + ")", null);
    }
    Optional<Suppression> s = suppressions.find(c.client(), c.at());
    if (s.isPresent()) {
      Suppression x = s.get();
      return new Decision(
          Verdict.SUPPRESSED,
          rules.suppress().action(),
          x.prefix()
              + " suppressed since "
              + x.since()
              + " for "
              + x.reason()
              + " (offence "
              + x.offences()
              + "): "
              + x.evidence(),
          x.until());
    }
    // The reverse name is looked up while the DNSBL zones are asked.
    ReverseNames.@Nullable Pending name = r == null ? null : r.start(c.client());
    Decision d =
        switch (dnsblOutcome.get()) {
          case DnsblCheck.Refuse refuse -> refuse.decision();
          case DnsblCheck.Pass pass -> {
            Decision t =
                atMail
                    ? Decision.accept(AT_MAIL)
                    : closedOnOutage(rules, c, decideByLayout(rules, c, sender, dryRun, name));
            yield pass.note().isEmpty() ? t : t.withMoreReason(pass.note());
          }
        };
    return name == null ? d : d.withReverseName(name.await().verifiedName());
  }

  /**
   * The checks after the lists: primary, fallback (by network, then by identity), disarmed,
   * mx-skip, backup-skip.
   *
   * @param sender what the client said of itself, when the front door knows it already
   * @param name the client's reverse name being looked up, or null when reverse names are off
   */
  private Decision decideByLayout(
      Rules rules, Contact c, Sender sender, boolean dryRun, ReverseNames.@Nullable Pending name) {
    LayoutEntry e = c.entry();
    if (c.relay() != null) {
      return Decision.accept("the layout is not judged for a relayed client");
    }
    if (e.role() == Role.PRIMARY) {
      return Decision.accept("primary");
    }
    Optional<Instant> lower =
        contacts.lastBelow(c.client(), e.preference(), c.at().minus(rules.trap().window()));
    if (lower.isPresent()) {
      return new Decision(
          Verdict.FALLBACK,
          Action.ACCEPT,
          "contact at a lower MX from "
              + network(rules, c.client())
              + " at "
              + lower.get()
              + " (within "
              + Durations.format(rules.trap().window())
              + ")",
          null);
    }
    // What the client said of itself is evidence (the decision log, the suppression, explain).
    String said =
        sender.helo() == null && sender.mailFrom() == null
            ? ""
            : "HELO "
                + (sender.helo() == null ? "none" : sender.helo())
                + ", MAIL FROM "
                + (sender.mailFrom() == null ? "none" : "<" + sender.mailFrom() + ">")
                + ": ";
    String noLower =
        said
            + "no contact at a lower MX from "
            + network(rules, c.client())
            + " within "
            + Durations.format(rules.trap().window());
    // Not by its network: by its sender's identity, if it has one. A name that could not be looked
    // up may have been one: then nothing suppresses (unknown below).
    @Nullable String unknown = null;
    if (name != null) {
      ReverseName n = name.await();
      if (n instanceof ReverseName.Verified v) {
        Optional<String> id = Identities.ofReverseName(c.client(), v.name());
        Optional<IdentityHistory.Sighting> seen =
            id.flatMap(
                i -> identities.lastBelow(i, e.preference(), c.at().minus(rules.trap().window())));
        if (seen.isPresent()) {
          return new Decision(
              Verdict.FALLBACK,
              Action.ACCEPT,
              noLower
                  + ", but one of the same sender, "
                  + id.get()
                  + " ("
                  + v.name()
                  + "), from "
                  + Addresses.text(seen.get().client())
                  + " at "
                  + seen.get().at(),
              null);
        }
        noLower +=
            id.map(i -> " nor of its sender, " + i).orElse("; " + v.name() + " names no sender");
      } else if (n instanceof ReverseName.Unknown u) {
        unknown = "its reverse name, which could excuse it, is unknown (" + u.why() + ")";
      } else {
        noLower += "; reverse name " + n.describe();
      }
    }
    String domain = sender.mailDomain();
    if (domain != null && spf != null) {
      Excuse bySpf = bySpf(rules, c, sender, domain, e.preference());
      if (bySpf.excuse() != null) {
        return new Decision(Verdict.FALLBACK, Action.ACCEPT, noLower + bySpf.excuse(), null);
      }
      noLower += bySpf.none();
      if (unknown == null) {
        unknown = bySpf.unknown();
      }
    }
    Optional<String> partial = view.partial(); // after the contacts were read: that may fail
    if (partial.isPresent()) {
      String why = "the shared state is partial: " + partial.get();
      return e.role() == Role.TRAP
          ? new Decision(Verdict.DISARMED, Action.TEMPFAIL, noLower + "; not armed: " + why, null)
          : Decision.accept(noLower + ", but " + why);
    }
    Arming.State armed = arming.state(e, c.at());
    if (e.role() == Role.TRAP) {
      if (!armed.armed()) {
        return new Decision(
            Verdict.DISARMED, Action.TEMPFAIL, noLower + "; trap not armed: " + armed.why(), null);
      }
      Excuse pool = byPool(rules, c.client());
      if (pool.excuse() != null) {
        return new Decision(Verdict.FALLBACK, Action.ACCEPT, noLower + pool.excuse(), null);
      }
      if (unknown == null) {
        unknown = pool.unknown();
      }
      if (unknown != null) {
        return new Decision(
            Verdict.DISARMED, Action.TEMPFAIL, noLower + "; not suppressed: " + unknown, null);
      }
      return suppress(
          rules,
          c,
          Verdict.MX_SKIP,
          rules.trap().onTrap(),
          noLower + " on " + e.describe() + "; armed: " + armed.why(),
          dryRun);
    }
    if (!armed.armed()) {
      return Decision.accept(noLower + ", but " + armed.why());
    }
    String why = noLower + " on " + e.describe() + " while " + armed.why();
    if (rules.trap().backupSkip() == TrapSettings.BackupSkip.TRAP) {
      Excuse pool = byPool(rules, c.client());
      if (pool.excuse() != null) {
        return new Decision(Verdict.FALLBACK, Action.ACCEPT, noLower + pool.excuse(), null);
      }
      if (unknown == null) {
        unknown = pool.unknown();
      }
    }
    final String notSuppressed = unknown;
    return switch (rules.trap().backupSkip()) {
      case TEMPFAIL -> new Decision(Verdict.BACKUP_SKIP, Action.TEMPFAIL, why, null);
      case TRAP ->
          notSuppressed != null
              ? new Decision(
                  Verdict.BACKUP_SKIP,
                  Action.TEMPFAIL,
                  why + "; not suppressed: " + notSuppressed,
                  null)
              : suppress(rules, c, Verdict.BACKUP_SKIP, rules.trap().onTrap(), why, dryRun);
      case IGNORE ->
          new Decision(Verdict.BACKUP_SKIP, Action.ACCEPT, why + " (backup_skip: ignore)", null);
    };
  }

  /**
   * With {@code state.on_outage: closed}, {@code d} tempfailed while the view is partial, unless it
   * refuses already or is about a client a trusted relay named (whose mail is never refused).
   */
  private Decision closedOnOutage(Rules rules, Contact c, Decision d) {
    if (rules.onOutage() != StateSettings.OnOutage.CLOSED
        || d.action() != Action.ACCEPT
        || c.relay() != null) {
      return d;
    }
    Optional<String> partial = view.partial();
    if (partial.isEmpty()) {
      return d;
    }
    return new Decision(
        d.verdict(),
        Action.TEMPFAIL,
        d.reason()
            + "; tempfailed: the shared state is partial (state.on_outage: closed): "
            + partial.get(),
        d.until(),
        d.reverseName());
  }

  /**
   * What an identity check found: {@code excuse} (the words that continue a reason) when it excuses
   * the contact; else {@code none}, why not, and {@code unknown} when a lookup that could have
   * excused it could not be made (then nothing suppresses).
   */
  private record Excuse(@Nullable String excuse, String none, @Nullable String unknown) {}

  /**
   * The excuse of a client whose envelope sender's domain authorizes it by SPF and authorized, by
   * the same record, the client of a lower contact of the same sender within the window.
   */
  private Excuse bySpf(Rules rules, Contact c, Sender sender, String domain, int preference) {
    Spf check = Objects.requireNonNull(spf);
    String id = "mail:" + domain;
    Optional<IdentityHistory.Sighting> seen =
        identities.lastBelow(id, preference, c.at().minus(rules.trap().window()));
    if (seen.isEmpty()) {
      return new Excuse(null, " nor of its sender, " + id, null);
    }
    String mailFrom = Objects.requireNonNull(sender.mailFrom());
    String helo = sender.helo() == null ? domain : sender.helo();
    SpfOutcome here = check.checkHost(c.client(), domain, mailFrom, helo);
    SpfOutcome there =
        here.result() == SpfResult.PASS
            ? check.checkHost(seen.get().client(), domain, mailFrom, helo)
            : here;
    if (here.result() == SpfResult.PASS && there.result() == SpfResult.PASS) {
      return new Excuse(
          ", but one of the same sender, "
              + id
              + ", from "
              + Addresses.text(seen.get().client())
              + " at "
              + seen.get().at()
              + ", SPF passing both ("
              + here.reason()
              + ")",
          "",
          null);
    }
    SpfOutcome failed = here.result() == SpfResult.PASS ? there : here;
    String which = failed == here ? "this client" : Addresses.text(seen.get().client());
    String none = "; " + id + " seen below, but SPF " + failed.result().label() + " for " + which;
    return new Excuse(
        null,
        none,
        failed.result() == SpfResult.TEMPERROR
            ? "the SPF check of "
                + domain
                + " for "
                + which
                + " could not be made: "
                + failed.reason()
            : null);
  }

  /** The excuse of a client that the SPF record of an {@code allow_pools} domain passes. */
  private Excuse byPool(Rules rules, InetAddress client) {
    Spf check = spf;
    if (check == null || rules.allowPools().isEmpty()) {
      return new Excuse(null, "", null);
    }
    String unknown = null;
    for (String domain : rules.allowPools()) {
      SpfOutcome o = check.checkHost(client, domain, "postmaster@" + domain, domain);
      if (o.result() == SpfResult.PASS) {
        return new Excuse(
            ", but allow_pools " + domain + " authorizes it (SPF: " + o.reason() + ")", "", null);
      }
      if (o.result() == SpfResult.TEMPERROR && unknown == null) {
        unknown =
            "whether allow_pools " + domain + " authorizes it is unknown (SPF: " + o.reason() + ")";
      }
    }
    return new Excuse(null, "", unknown);
  }

  /**
   * Suppresses the client's network of {@code trap.suppress_prefix_v4} or {@code _v6} (by default
   * its own IPv4 address, its IPv6 /64); the excuse prefixes play no part.
   */
  private Decision suppress(
      Rules rules, Contact c, Verdict verdict, Action action, String evidence, boolean dryRun) {
    Cidr prefix = suppressedNetwork(rules, c.client());
    if (dryRun) {
      return new Decision(verdict, action, evidence + " (would be suppressed)", null);
    }
    Suppression s;
    try {
      s =
          suppressions.offend(
              prefix,
              c.at(),
              rules.trap().suppressFor(),
              rules.trap().suppressMax(),
              verdict.label(),
              evidence);
    } catch (RuntimeException e) {
      // The store failed (disk full, database locked): the answer still stands, the memory not.
      log.error("cannot record the suppression of {}: {}", prefix, e.toString());
      events.on(new Event.StoreFailed("suppressions", "offend", e));
      return new Decision(verdict, action, evidence + "; suppression NOT recorded: " + e, null);
    }
    events.on(new Event.Suppressed(s.prefix(), s.until(), s.offences(), verdict.label()));
    return new Decision(
        verdict,
        action,
        evidence + "; suppressed until " + s.until() + " (offence " + s.offences() + ")",
        s.until());
  }

  private String network(Rules rules, InetAddress client) {
    int bits =
        client.getAddress().length == 4
            ? rules.trap().excusePrefixV4()
            : rules.trap().excusePrefixV6();
    Cidr net = Cidr.of(client, bits);
    return net.length() == client.getAddress().length * 8 ? Addresses.text(client) : net.toString();
  }

  private static @Nullable Cidr match(List<Cidr> prefixes, InetAddress client) {
    for (Cidr p : prefixes) {
      if (p.contains(client)) {
        return p;
      }
    }
    return null;
  }

  /** What a suppression of {@code client} covers (an IPv4-mapped address counts as IPv4). */
  private Cidr suppressedNetwork(Rules rules, InetAddress client) {
    boolean v4 = Addresses.unmap(client) instanceof Inet4Address;
    return Cidr.of(client, v4 ? rules.trap().suppressPrefixV4() : rules.trap().suppressPrefixV6());
  }
}
