package org.mxtrap.policy;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.Durations;
import org.mxtrap.config.MxtrapConfig;
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
import org.mxtrap.core.Verdict;
import org.mxtrap.state.ContactHistory;
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
 *   <li>block list: {@code blocked}, {@code suppress.action};
 *   <li>an active suppression: {@code suppressed}, {@code suppress.action};
 *   <li>on the primary: {@code accept};
 *   <li>on a trap or backup, a contact from the client's network at a lower preference within
 *       {@code trap.window}: {@code fallback}, served;
 *   <li>on a trap that is not {@link Arming armed}: {@code disarmed}, tempfail, no suppression;
 *   <li>on an armed trap: {@code mx-skip}, {@code trap.on_trap}, suppressed;
 *   <li>on a backup while the lower entries were continuously available: {@code backup-skip},
 *       answered as {@code trap.backup_skip} says; otherwise {@code accept} (a real MTA may come
 *       straight to the backup for hours after the primary failed it).
 * </ol>
 *
 * Every decision goes to the {@link DecisionSink}. Thread-safe.
 */
public final class TrapEngine implements Admission {
  private static final Logger log = LoggerFactory.getLogger("policy");

  private final TrapSettings trap;
  private final SuppressSettings suppress;
  private final List<Cidr> allow;
  private final List<Cidr> block;
  private final ContactHistory contacts;
  private final SuppressionStore suppressions;
  private final Arming arming;
  private final DecisionSink sink;

  public TrapEngine(
      MxtrapConfig config,
      ContactHistory contacts,
      SuppressionStore suppressions,
      Arming arming,
      DecisionSink sink) {
    this.trap = config.trap();
    this.suppress = config.suppress();
    this.allow = config.allow();
    this.block = config.block();
    this.contacts = contacts;
    this.suppressions = suppressions;
    this.arming = arming;
    this.sink = sink;
  }

  @Override
  public Decision connect(Contact contact) {
    contacts.record(contact.client(), contact.entry().preference(), contact.at());
    Decision d = decide(contact, false);
    if (contact.turnedAway() && d.serves()) {
      // The log tells what the client got: the server's 421 for its connection limits.
      d =
          new Decision(
              d.verdict(),
              Action.TEMPFAIL,
              d.reason() + "; turned away: connection limit reached",
              d.until());
    }
    sink.decided(contact, d);
    return d;
  }

  @Override
  public Decision earlyTalker(Contact contact) {
    Decision d;
    Cidr allowed = match(allow, contact.client());
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
              contact,
              Verdict.EARLY_TALKER,
              suppress.action(),
              "sent before the greeting on " + contact.entry().describe(),
              false);
    }
    sink.decided(contact, d);
    return d;
  }

  /**
   * What the engine would decide about {@code client} on {@code entry} at {@code now}, without
   * recording a contact or suppressing anyone: for {@code explain}.
   */
  public Decision wouldDecide(InetAddress client, LayoutEntry entry, Instant now) {
    return decide(new Contact(client, entry.socketAddress(), entry, now), true);
  }

  /** The suppression store, for the admin API. */
  public SuppressionStore suppressions() {
    return suppressions;
  }

  /** The allow-list prefix that contains {@code client}, if any. */
  public Optional<Cidr> allowedBy(InetAddress client) {
    return Optional.ofNullable(match(allow, client));
  }

  /** The block-list prefix that contains {@code client}, if any. */
  public Optional<Cidr> blockedBy(InetAddress client) {
    return Optional.ofNullable(match(block, client));
  }

  private Decision decide(Contact c, boolean dryRun) {
    Cidr allowed = match(allow, c.client());
    if (allowed != null) {
      return new Decision(
          Verdict.ALLOWED, Action.ACCEPT, "on the allow list (" + allowed + ")", null);
    }
    Cidr blocked = match(block, c.client());
    if (blocked != null) {
      return new Decision(
          Verdict.BLOCKED, suppress.action(), "on the block list (" + blocked + ")", null);
    }
    Optional<Suppression> s = suppressions.find(c.client(), c.at());
    if (s.isPresent()) {
      Suppression x = s.get();
      return new Decision(
          Verdict.SUPPRESSED,
          suppress.action(),
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
    LayoutEntry e = c.entry();
    if (e.role() == Role.PRIMARY) {
      return Decision.accept("primary");
    }
    Optional<Instant> lower =
        contacts.lastBelow(c.client(), e.preference(), c.at().minus(trap.window()));
    if (lower.isPresent()) {
      return new Decision(
          Verdict.FALLBACK,
          Action.ACCEPT,
          "contact at a lower MX at "
              + lower.get()
              + " (within "
              + Durations.format(trap.window())
              + ")",
          null);
    }
    Arming.State armed = arming.state(e, c.at());
    String noLower =
        "no contact at a lower MX from "
            + network(c.client())
            + " within "
            + Durations.format(trap.window());
    if (e.role() == Role.TRAP) {
      if (!armed.armed()) {
        return new Decision(
            Verdict.DISARMED, Action.TEMPFAIL, noLower + "; trap not armed: " + armed.why(), null);
      }
      return suppress(
          c,
          Verdict.MX_SKIP,
          trap.onTrap(),
          noLower + " on " + e.describe() + "; armed: " + armed.why(),
          dryRun);
    }
    if (!armed.armed()) {
      return Decision.accept(noLower + ", but " + armed.why());
    }
    String why = noLower + " on " + e.describe() + " while " + armed.why();
    return switch (trap.backupSkip()) {
      case TEMPFAIL -> new Decision(Verdict.BACKUP_SKIP, Action.TEMPFAIL, why, null);
      case TRAP -> suppress(c, Verdict.BACKUP_SKIP, trap.onTrap(), why, dryRun);
      case IGNORE ->
          new Decision(Verdict.BACKUP_SKIP, Action.ACCEPT, why + " (backup_skip: ignore)", null);
    };
  }

  /** Suppresses the client's own address (never its network: the excuse prefix only excuses). */
  private Decision suppress(
      Contact c, Verdict verdict, Action action, String evidence, boolean dryRun) {
    Cidr prefix = Cidr.of(c.client(), 128);
    if (dryRun) {
      return new Decision(verdict, action, evidence + " (would be suppressed)", null);
    }
    Suppression s;
    try {
      s =
          suppressions.offend(
              prefix, c.at(), trap.suppressFor(), trap.suppressMax(), verdict.label(), evidence);
    } catch (RuntimeException e) {
      // The store failed (disk full, database locked): the answer still stands, the memory not.
      log.error("cannot record the suppression of {}: {}", prefix, e.toString());
      return new Decision(verdict, action, evidence + "; suppression NOT recorded: " + e, null);
    }
    return new Decision(
        verdict,
        action,
        evidence + "; suppressed until " + s.until() + " (offence " + s.offences() + ")",
        s.until());
  }

  private String network(InetAddress client) {
    int bits = client.getAddress().length == 4 ? trap.excusePrefixV4() : trap.excusePrefixV6();
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
}
