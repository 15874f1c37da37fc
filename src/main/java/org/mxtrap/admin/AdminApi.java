package org.mxtrap.admin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.mxtrap.config.Durations;
import org.mxtrap.config.ExportSettings;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints of the admin API, apart from HTTP: each takes the request's {@link Query} and gives
 * an {@link Answer} (its wire formats are there). Bad input is an {@link ApiException}. Only {@link
 * #suppress}, {@link #unsuppress}, {@link #flush} and {@link #delete} change anything; {@link
 * #explain} asks the engine what it would decide, which records nothing.
 *
 * <pre>
 * POST /suppressions?address=IP|CIDR[&amp;for=DURATION][&amp;reason=TEXT]   201 suppression;
 *                    400 for a prefix wider than /8 (IPv4) or /32 (IPv6)
 * DELETE /suppressions?address=IP|CIDR   {"removed":true}; 404 when not suppressed
 * GET /suppressions[?match=TEXT][&amp;limit=N]   the active ones, filtered, at most N
 * GET /suppressions/export?format=nft|ipset|rbldnsd|csv   the active ones for other tools, always
 *                    text/plain ({@link SuppressionExport})
 * GET /explain?address=IP   would_decide asks the DNSBL zones once (within dnsbl.timeout)
 * GET /queue/messages       every queued message, oldest first
 * GET /queue/messages/ID    one; 400 when ID is not of the form of a queue ID, 404 when not queued
 * DELETE /queue/messages/ID {"deleted":true}; 400 and 404 as for GET
 * POST /queue/flush         {"flushed":N}: every queued message due now
 * POST /reload              {"applied":[KEY...],"need_restart":[KEY...]}; 400 with the file's
 *                           problems (file:line each) when it is invalid: nothing changed
 * </pre>
 *
 * A deleted message is gone at once and gets no DSN, as Postfix's {@code postsuper -d}: an attempt
 * in flight may still deliver to some of its recipients, and records nothing.
 *
 * <p>Thread-safe: it holds nothing of its own but the start time.
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

  /** The reason (verdict) of a suppression an operator added. */
  static final String MANUAL = "manual";

  private final Clock clock;
  private final Host host;
  private final Instant started;

  AdminApi(Clock clock, Host host) {
    this.clock = clock;
    this.host = host;
    this.started = clock.instant();
  }

  Answer status(Query q) {
    q.only();
    Instant now = clock.instant();
    List<Answer.Trap> traps =
        host.layout().stream()
            .filter(e -> e.role() == Role.TRAP)
            .map(
                e -> {
                  Traps.Armed a = host.traps().armed(e, now);
                  return new Answer.Trap(e, a.armed(), a.why(), a.armsAt());
                })
            .toList();
    Map<String, Long> decisions = new LinkedHashMap<>();
    host.decisions().counts().forEach((v, n) -> decisions.put(v.label(), n));
    return new Answer.Status(
        host.hostname(),
        now,
        started,
        host.state().describe(now),
        host.served(),
        traps,
        new Answer.Counters(
            decisions, host.suppressions().active(now).size(), host.contacts().evictions()),
        layout(now));
  }

  /** Every layout entry, whether this host serves it, and, for a trap or backup, its arming. */
  private List<Answer.Placed> layout(Instant now) {
    return host.layout().stream()
        .map(
            e -> {
              boolean served = host.served().contains(e);
              if (e.role() == Role.PRIMARY) {
                return new Answer.Placed(e, served, null, null, null);
              }
              Traps.Armed a = host.traps().armed(e, now);
              return new Answer.Placed(e, served, a.armed(), a.why(), a.armsAt());
            })
        .toList();
  }

  /**
   * {@code GET /suppressions[?match=TEXT][&limit=N]}: the active ones whose address or reason
   * contains {@code match} (case-insensitive), at most {@code limit} of them (1 to {@link
   * #MAX_LIMIT}; all without it).
   */
  Answer suppressions(Query q) {
    q.only("match", "limit");
    String match = q.get("match").orElse("").toLowerCase(Locale.ROOT);
    long limit = q.get("limit").map(AdminApi::limit).orElse(Long.MAX_VALUE);
    return new Answer.Active(
        host.suppressions().active(clock.instant()).stream()
            .filter(
                s ->
                    s.address().toLowerCase(Locale.ROOT).contains(match)
                        || s.reason().toLowerCase(Locale.ROOT).contains(match))
            .limit(limit)
            .toList());
  }

  static final int MAX_LIMIT = 10_000;

  private static long limit(String text) {
    try {
      int n = Integer.parseInt(text);
      if (n >= 1 && n <= MAX_LIMIT) {
        return n;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw ApiException.badRequest("limit: a number from 1 to " + MAX_LIMIT);
  }

  /** {@code GET /suppressions/export?format=F}: the active ones in the export format F. */
  String export(Query q) {
    q.only("format");
    String given = q.require("format");
    ExportSettings.Format format =
        ExportSettings.Format.named(given)
            .orElseThrow(
                () ->
                    ApiException.badRequest(
                        "format: " + given + " is none of " + ExportSettings.Format.labels()));
    Instant now = clock.instant();
    return SuppressionExport.render(format, host.suppressions().active(now), now);
  }

  /**
   * {@code POST /suppressions}: an operator's suppression, for {@code for} from now; no wider than
   * {@link #MIN_PREFIX_V4} or {@link #MIN_PREFIX_V6}.
   */
  Answer suppress(Query q) {
    q.only("address", "for", "reason");
    Cidr prefix = suppressible(prefix(q.require("address")));
    Duration d = q.get("for").map(AdminApi::duration).orElse(host.suppressFor());
    // The reason field holds the verdict (PRODUCT.md); the operator's words are the evidence.
    String note = q.get("reason").map(AdminApi::reason).orElse("no reason given");
    Suppressions.Entry s =
        host.suppressions()
            .add(prefix, clock.instant(), d, MANUAL, "added through the admin API: " + note);
    log.info("suppressed {} until {} through the admin API: {}", text(prefix), s.until(), note);
    return new Answer.Added(s);
  }

  /** {@code DELETE /suppressions}: ends the suppression of exactly that prefix. */
  Answer unsuppress(Query q) {
    q.only("address");
    Cidr prefix = prefix(q.require("address"));
    Instant now = clock.instant();
    if (host.suppressions().remove(prefix, now)) {
      log.info("removed the suppression of {} through the admin API", text(prefix));
      return new Answer.Removed(text(prefix));
    }
    // Say so when a wider prefix is what refuses this address: that one is what to remove.
    Optional<Suppressions.Entry> wider =
        single(prefix) ? host.suppressions().find(prefix.network(), now) : Optional.empty();
    throw new ApiException(
        404,
        text(prefix)
            + " is not suppressed"
            + wider.map(s -> " itself; " + s.address() + " covers it").orElse(""));
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
    List<Answer.Contacted> contacts =
        new TreeMap<>(host.contacts().contacts(ip))
            .entrySet().stream().map(c -> new Answer.Contacted(c.getKey(), c.getValue())).toList();
    List<LayoutEntry> entries = host.layout();
    List<Decision> would = host.engine().wouldDecide(ip, entries, now);
    return new Answer.Explanation(
        Addresses.text(ip),
        now,
        host.engine().allowedBy(ip).map(AdminApi::text).orElse(null),
        host.engine().blockedBy(ip).map(AdminApi::text).orElse(null),
        host.suppressions().find(ip, now).orElse(null),
        host.suppressions().history(ip),
        contacts,
        host.decisions().about(ip).stream().map(Answer.Recent::of).toList(),
        IntStream.range(0, entries.size())
            .mapToObj(i -> new Answer.Would(entries.get(i), Answer.Outcome.of(would.get(i))))
            .toList());
  }

  /** {@code GET /queue/messages}. */
  Answer queue(Query q) {
    q.only();
    return new Answer.Messages(host.queue().list());
  }

  /** {@code GET /queue/messages/ID}. */
  Answer message(String id, Query q) {
    q.only();
    String queued = queueId(id);
    return new Answer.Shown(host.queue().find(queued).orElseThrow(() -> notQueued(queued)));
  }

  /** {@code POST /reload}: the config file re-read and applied, as SIGHUP does. */
  Answer reload(Query q) {
    q.only();
    try {
      Reloader.Outcome o = host.reloader().reload();
      return new Answer.Reloaded(o.applied(), o.needRestart());
    } catch (Reloader.Refused e) {
      throw ApiException.badRequest("reload refused, the running config stays:\n" + e.getMessage());
    }
  }

  /** {@code POST /queue/flush}: every queued message due now; the attempts run after the answer. */
  Answer flush(Query q) {
    q.only();
    int messages = host.queue().flush();
    log.info("queue flushed through the admin API: {} message(s) due now", messages);
    return new Answer.Flushed(messages);
  }

  /** {@code DELETE /queue/messages/ID}: the message removed for good, without a DSN. */
  Answer delete(String id, Query q) {
    q.only();
    String queued = queueId(id);
    boolean deleted;
    try {
      deleted = host.queue().delete(queued);
    } catch (IOException e) {
      throw new UncheckedIOException("deleting " + queued + " from the queue", e); // a 500
    }
    if (!deleted) {
      throw notQueued(queued);
    }
    log.info("{}: deleted from the queue through the admin API", queued);
    return new Answer.Deleted(queued);
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

  private String queueId(String text) {
    if (!host.queue().isId(text)) {
      throw ApiException.badRequest("not a queue ID: " + text);
    }
    return text;
  }

  private static ApiException notQueued(String id) {
    return new ApiException(404, "no message " + id + " in the queue (delivered, or deleted)");
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
}
