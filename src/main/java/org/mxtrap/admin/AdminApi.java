package org.mxtrap.admin;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.Durations;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.core.Verdict;
import org.mxtrap.policy.Arming;
import org.mxtrap.policy.RecentDecisions;
import org.mxtrap.policy.TrapEngine;
import org.mxtrap.state.ContactHistory;
import org.mxtrap.state.Suppression;
import org.mxtrap.state.SuppressionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints of the admin API, apart from HTTP: each takes the request's {@link Query} and gives
 * an {@link Answer} in two forms, JSON and the text the CLI prints. Bad input is an {@link
 * ApiException}. Only {@link #suppress} and {@link #unsuppress} change anything; {@link #explain}
 * asks the engine what it would decide, which records nothing.
 *
 * <p>Wire formats (every time ISO-8601 UTC; an address is printed bare for a single-address prefix,
 * as CIDR otherwise):
 *
 * <pre>
 * suppression  {"address":"192.0.2.7","since":T,"until":T,"reason":"mx-skip","offences":1,"evidence":"..."}
 * entry        {"address":"127.0.0.1:2526","preference":30,"host":"mx2.example.com","role":"trap"}
 *
 * GET /status        {"hostname":..,"time":T,"started":T,
 *                     "listeners":[entry...],                        the entries this host serves
 *                     "traps":[entry + "armed":bool,"why":..,"arms_at":T|null ...],
 *                     "counters":{"decisions":{"accept":n,...every verdict},
 *                                 "suppressions_active":n,"contact_evictions":n}}
 * GET /suppressions  [suppression...]                                the active ones
 * POST /suppressions?address=IP|CIDR[&amp;for=DURATION][&amp;reason=TEXT]   201 suppression;
 *                    400 for a prefix wider than /8 (IPv4) or /32 (IPv6)
 * DELETE /suppressions?address=IP|CIDR   {"removed":true}; 404 when not suppressed
 * GET /explain?address=IP
 *                    {"address":..,"time":T,"allowed_by":CIDR|null,"blocked_by":CIDR|null,
 *                     "suppression":suppression|null,"history":[suppression...],
 *                     "contacts":[{"preference":10,"at":T}...],
 *                     "recent_decisions":[{"ts":T,"local":"127.0.0.1:2525","preference":10,
 *                        "role":..,"verdict":..,"action":..,"reason":..,"until":T|null,
 *                        "ptr":NAME (only when the client's reverse name was verified)}...],
 *                     "would_decide":[entry + "verdict","action","reason","until" ...]}
 *                    would_decide asks the DNSBL zones once (within dnsbl.timeout), for every entry
 * </pre>
 *
 * Thread-safe: it holds nothing of its own but the start time.
 */
final class AdminApi {
  private static final Logger log = LoggerFactory.getLogger("admin");

  /** The longest suppression the API adds: past it, a typo rather than a plan. */
  static final Duration MAX_FOR = Durations.MAX;

  static final int MAX_REASON = 200;

  /**
   * The widest prefixes a suppression may cover: an IPv4 /8, an IPv6 /32 (a whole provider's
   * allocation). Wider would refuse a good part of the Internet, and {@code 0.0.0.0/0} or {@code
   * ::/0} everyone, loopback and the operator included; a standing refusal of whole networks is
   * what the {@code block} list is for, reviewed in the config rather than added at a prompt.
   */
  static final int MIN_PREFIX_V4 = 8;

  static final int MIN_PREFIX_V6 = 32;

  /** One answer: its status code and both forms of its body. */
  record Answer(int status, String json, String text) {}

  private final MxtrapConfig config;
  private final Clock clock;
  private final TrapEngine engine;
  private final SuppressionStore suppressions;
  private final Arming arming;
  private final ContactHistory contacts;
  private final RecentDecisions recent;
  private final Instant started;

  AdminApi(
      MxtrapConfig config,
      Clock clock,
      TrapEngine engine,
      Arming arming,
      ContactHistory contacts,
      RecentDecisions recent) {
    this.config = config;
    this.clock = clock;
    this.engine = engine;
    this.suppressions = engine.suppressions();
    this.arming = arming;
    this.contacts = contacts;
    this.recent = recent;
    this.started = clock.instant();
  }

  Answer status(Query q) {
    q.only();
    Instant now = clock.instant();
    JsonWriter j = new JsonWriter().beginObject();
    j.field("hostname", config.hostname()).field("time", now).field("started", started);
    StringBuilder t = new StringBuilder();
    t.append("mxtrap on ")
        .append(config.hostname())
        .append(" at ")
        .append(now)
        .append(", up since ")
        .append(started)
        .append('\n');

    j.name("listeners").beginArray();
    t.append("listeners:\n");
    for (LayoutEntry e : config.layout().entries()) {
      if (config.serves(e)) {
        entry(j.beginObject(), e).endObject();
        t.append("  ").append(e.describe()).append('\n');
      }
    }
    j.endArray();

    j.name("traps").beginArray();
    t.append("traps:\n");
    boolean traps = false;
    for (LayoutEntry e : config.layout().entries()) {
      if (e.role() != Role.TRAP) {
        continue;
      }
      traps = true;
      Arming.State a = arming.state(e, now);
      entry(j.beginObject(), e)
          .field("armed", a.armed())
          .field("why", a.why())
          .field("arms_at", a.armsAt())
          .endObject();
      t.append("  ")
          .append(e.describe())
          .append(": ")
          .append(a.armed() ? "armed" : "disarmed")
          .append(": ")
          .append(a.why());
      if (a.armsAt() != null) {
        t.append("; arms at ").append(a.armsAt());
      }
      t.append('\n');
    }
    j.endArray();
    if (!traps) {
      t.append("  none in the layout\n");
    }

    Map<Verdict, Long> counts = recent.counts();
    int active = suppressions.active(now).size();
    long evictions = contacts.evictions();
    j.name("counters").beginObject().name("decisions").beginObject();
    List<String> nonZero = new ArrayList<>();
    for (Map.Entry<Verdict, Long> c : counts.entrySet()) {
      j.field(c.getKey().label(), c.getValue());
      if (c.getValue() > 0) {
        nonZero.add(c.getKey().label() + " " + c.getValue());
      }
    }
    j.endObject();
    j.field("suppressions_active", active).field("contact_evictions", evictions);
    j.endObject().endObject();
    t.append("decisions since start: ")
        .append(nonZero.isEmpty() ? "none" : String.join(", ", nonZero))
        .append('\n');
    t.append("active suppressions: ").append(active).append('\n');
    t.append("contact-history evictions: ").append(evictions).append('\n');
    return new Answer(200, j.toString(), t.toString());
  }

  Answer suppressions(Query q) {
    q.only();
    List<Suppression> active = suppressions.active(clock.instant());
    JsonWriter j = new JsonWriter().beginArray();
    StringBuilder t = new StringBuilder();
    for (Suppression s : active) {
      suppression(j, s);
      t.append(describe(s, true)).append('\n');
    }
    j.endArray();
    t.append(
        switch (active.size()) {
          case 0 -> "no active suppressions\n";
          case 1 -> "1 active suppression\n";
          default -> active.size() + " active suppressions\n";
        });
    return new Answer(200, j.toString(), t.toString());
  }

  /** The reason (verdict) of a suppression an operator added. */
  static final String MANUAL = "manual";

  /**
   * {@code POST /suppressions}: an operator's suppression, for {@code for} from now; no wider than
   * {@link #MIN_PREFIX_V4} or {@link #MIN_PREFIX_V6}.
   */
  Answer suppress(Query q) {
    q.only("address", "for", "reason");
    Cidr prefix = suppressible(prefix(q.require("address")));
    Duration d = q.get("for").map(AdminApi::duration).orElse(config.trap().suppressFor());
    // The reason field holds the verdict (PRODUCT.md); the operator's words are the evidence.
    String note = q.get("reason").map(AdminApi::reason).orElse("no reason given");
    String reason = MANUAL;
    Suppression s =
        suppressions.add(
            prefix, clock.instant(), d, reason, "added through the admin API: " + note);
    log.info("suppressed {} until {} through the admin API: {}", text(prefix), s.until(), note);
    return new Answer(
        201, suppression(new JsonWriter(), s).toString(), "suppressed " + describe(s, true) + "\n");
  }

  /** {@code DELETE /suppressions}: ends the suppression of exactly that prefix. */
  Answer unsuppress(Query q) {
    q.only("address");
    Cidr prefix = prefix(q.require("address"));
    Instant now = clock.instant();
    if (suppressions.remove(prefix, now)) {
      log.info("removed the suppression of {} through the admin API", text(prefix));
      return new Answer(
          200, "{\"removed\":true}", "removed the suppression of " + text(prefix) + "\n");
    }
    // Say so when a wider prefix is what refuses this address: that one is what to remove.
    Optional<Suppression> wider =
        single(prefix) ? suppressions.find(prefix.network(), now) : Optional.empty();
    throw new ApiException(
        404,
        text(prefix)
            + " is not suppressed"
            + wider.map(s -> " itself; " + text(s.prefix()) + " covers it").orElse(""));
  }

  /** {@code GET /explain}: everything known about one address, and what each MX would answer. */
  Answer explain(Query q) {
    q.only("address");
    String given = q.require("address");
    InetAddress ip =
        Addresses.parse(given)
            .orElseThrow(
                () -> ApiException.badRequest("not an IP address: " + given + " (explain one)"));
    Instant now = clock.instant();
    String address = Addresses.text(ip);
    JsonWriter j = new JsonWriter().beginObject().field("address", address).field("time", now);
    StringBuilder t = new StringBuilder().append(address).append(" at ").append(now).append('\n');

    Optional<Cidr> allowed = engine.allowedBy(ip);
    Optional<Cidr> blocked = engine.blockedBy(ip);
    j.field("allowed_by", allowed.map(AdminApi::text).orElse(null));
    j.field("blocked_by", blocked.map(AdminApi::text).orElse(null));
    t.append("allow list: ").append(allowed.map(AdminApi::text).orElse("no match")).append('\n');
    t.append("block list: ").append(blocked.map(AdminApi::text).orElse("no match")).append('\n');

    Optional<Suppression> active = suppressions.find(ip, now);
    j.name("suppression");
    if (active.isPresent()) {
      suppression(j, active.get());
    } else {
      j.value((String) null);
    }
    t.append("suppression: ")
        .append(active.map(s -> describe(s, true)).orElse("none active"))
        .append('\n');

    List<Suppression> history = suppressions.history(ip);
    j.name("history").beginArray();
    t.append("stored suppressions covering it (active or ended):");
    for (Suppression s : history) {
      suppression(j, s);
      t.append("\n  ").append(describe(s, s.activeAt(now)));
    }
    j.endArray();
    t.append(history.isEmpty() ? " none\n" : "\n");

    Map<Integer, Instant> seen = new TreeMap<>(contacts.contacts(ip));
    j.name("contacts").beginArray();
    t.append("last contact of its network per MX preference:");
    for (Map.Entry<Integer, Instant> c : seen.entrySet()) {
      j.beginObject().field("preference", c.getKey()).field("at", c.getValue()).endObject();
      t.append("\n  MX ").append(c.getKey()).append(" at ").append(c.getValue());
    }
    j.endArray();
    t.append(seen.isEmpty() ? " none\n" : "\n");

    List<RecentDecisions.Remembered> decisions = recent.about(ip);
    j.name("recent_decisions").beginArray();
    t.append("recent decisions, oldest first:");
    for (RecentDecisions.Remembered r : decisions) {
      LayoutEntry e = r.contact().entry();
      String local =
          Addresses.literal(r.contact().local().getAddress(), r.contact().local().getPort());
      j.beginObject()
          .field("ts", r.contact().at())
          .field("local", local)
          .field("preference", e.preference())
          .field("role", e.role().label());
      decision(j, r.decision()).endObject();
      t.append("\n  ")
          .append(r.contact().at())
          .append(" on ")
          .append(local)
          .append(" (MX ")
          .append(e.preference())
          .append(' ')
          .append(e.role().label())
          .append("): ")
          .append(describe(r.decision()));
    }
    j.endArray();
    t.append(decisions.isEmpty() ? " none remembered since start\n" : "\n");

    j.name("would_decide").beginArray();
    t.append("what each MX would answer now:");
    List<LayoutEntry> entries = config.layout().entries();
    List<Decision> would = engine.wouldDecide(ip, entries, now);
    for (int i = 0; i < entries.size(); i++) {
      LayoutEntry e = entries.get(i);
      Decision d = would.get(i);
      decision(entry(j.beginObject(), e), d).endObject();
      t.append("\n  ").append(e.describe()).append(": ").append(describe(d));
    }
    j.endArray().endObject();
    t.append('\n');
    return new Answer(200, j.toString(), t.toString());
  }

  // --- input ----------------------------------------------------------------------------------

  private static Cidr prefix(String text) {
    try {
      return Cidr.parse(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("address: " + e.getMessage());
    }
  }

  /** {@code p}, unless it is wider than a suppression may be. */
  private static Cidr suppressible(Cidr p) {
    int min = p.isV4() ? MIN_PREFIX_V4 : MIN_PREFIX_V6;
    if (p.length() < min) {
      throw ApiException.badRequest(
          "address: "
              + p
              + " is wider than /"
              + min
              + ", the widest "
              + (p.isV4() ? "IPv4" : "IPv6")
              + " prefix a suppression may cover (it would refuse everyone in it, loopback and"
              + " the operator included); refuse whole networks with the block list in the"
              + " config");
    }
    return p;
  }

  private static Duration duration(String text) {
    Duration d;
    try {
      d = Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("for: " + e.getMessage());
    }
    if (d.isZero()) {
      throw ApiException.badRequest("for: must be longer than 0s");
    }
    if (d.compareTo(MAX_FOR) > 0) {
      throw ApiException.badRequest("for: at most " + Durations.format(MAX_FOR));
    }
    return d;
  }

  /** A reason goes into log lines and the store: one line of printable text. */
  private static String reason(String text) {
    if (text.isEmpty() || text.length() > MAX_REASON) {
      throw ApiException.badRequest("reason: 1 to " + MAX_REASON + " characters");
    }
    if (text.chars().anyMatch(Character::isISOControl)) {
      throw ApiException.badRequest("reason: no control characters (one line of text)");
    }
    return text;
  }

  // --- output ---------------------------------------------------------------------------------

  private static boolean single(Cidr p) {
    return p.length() == p.network().getAddress().length * 8;
  }

  /** {@code 192.0.2.7} for a single address, {@code 192.0.2.0/24} for a network. */
  static String text(Cidr p) {
    return single(p) ? Addresses.text(p.network()) : p.toString();
  }

  private static JsonWriter entry(JsonWriter j, LayoutEntry e) {
    return j.field("address", Addresses.literal(e.address(), e.port()))
        .field("preference", e.preference())
        .field("host", e.host())
        .field("role", e.role().label());
  }

  private static JsonWriter suppression(JsonWriter j, Suppression s) {
    return j.beginObject()
        .field("address", text(s.prefix()))
        .field("since", s.since())
        .field("until", s.until())
        .field("reason", s.reason())
        .field("offences", s.offences())
        .field("evidence", s.evidence())
        .endObject();
  }

  private static JsonWriter decision(JsonWriter j, Decision d) {
    j.field("verdict", d.verdict().label())
        .field("action", d.action().label())
        .field("reason", d.reason())
        .field("until", d.until());
    String ptr = d.reverseName();
    return ptr == null ? j : j.field("ptr", ptr);
  }

  private static String describe(Suppression s, boolean active) {
    return text(s.prefix())
        + (active ? " until " : " ended ")
        + s.until()
        + " ("
        + s.reason()
        + ", offence "
        + s.offences()
        + ", since "
        + s.since()
        + "): "
        + s.evidence();
  }

  private static String describe(Decision d) {
    @Nullable Instant until = d.until();
    return d.verdict().label()
        + ", "
        + d.action().label()
        + ": "
        + d.reason()
        + (until == null ? "" : " (until " + until + ")")
        + (d.reverseName() == null ? "" : " [reverse name " + d.reverseName() + "]");
  }
}
