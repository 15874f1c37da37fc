package org.mxtrap.dns;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.mxtrap.config.DnsblSettings;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DNS blocklists of {@code dnsbl.zones}, asked about a client address (RFC 5782): {@code
 * 7.2.0.192.zone A} for 192.0.2.7, the 32 nibbles of an IPv6 address reversed likewise.
 *
 * <p><b>Answers.</b> NXDOMAIN or NODATA is {@link DnsblAnswer.NotListed}; a lookup that could not
 * be made (timeout, SERVFAIL, ...) is {@link DnsblAnswer.Unknown}, never "not listed". Of the A
 * records a list answers, only those in 127.0.0.0/8 are DNSBL answers. Where mature MTAs differ
 * here, this class takes the side that cannot refuse mail by mistake:
 *
 * <ul>
 *   <li>An answer outside 127.0.0.0/8 is not a listing but {@link
 *       DnsblAnswer.Cause#NOT_A_DNSBL_ANSWER unknown} (RFC 5782 would count any A record; Haraka
 *       disables such a zone; it is what a resolver that rewrites NXDOMAIN into an advertising
 *       server, or a list taken over, says).
 *   <li>127.255.255.0/24 is what lists answer when they refuse the query (Spamhaus: .252 a typo in
 *       the zone name, .254 a query through a public resolver, .255 too many queries): {@link
 *       DnsblAnswer.Cause#REFUSED unknown}, never listed, whatever {@code codes} says. Postfix's
 *       postscreen counts these as listings unless a filter excludes them, and so rejected every
 *       sender of sites that asked Spamhaus through a public resolver.
 *   <li>Both are logged as warnings (at most once per zone and cause every {@link #WARN_EVERY}),
 *       since the operator must act: use a resolver of their own, or drop the zone.
 *   <li>Other answers count only when they are among the zone's {@code codes}; an answer that is
 *       not (a part of the list this zone does not use) is not listed.
 * </ul>
 *
 * <p><b>Time.</b> The zones are asked at once, each on a virtual thread, through the {@link Dns}
 * port (whose cache keeps answers for their TTL). {@link #lookup} returns within {@code
 * dnsbl.timeout}: a zone that has not answered by then is unknown and its query is abandoned. Each
 * zone's lookup is told as one {@link Event.DnsblAsked} when it ends (an abandoned one ends at
 * once, unknown). Thread-safe.
 */
public final class Dnsbl {
  private static final Logger log = LoggerFactory.getLogger("dns");

  /** The least time between two warnings about the same zone and cause. */
  static final Duration WARN_EVERY = Duration.ofMinutes(10);

  private final Dns dns;
  private final DnsblSettings settings;
  private final Clock clock;
  private final Events events;
  private final Map<String, Instant> warned = new ConcurrentHashMap<>();

  /**
   * @param dns where the lookups go
   * @param settings the zones and the time they get
   * @param clock the time warnings are spaced by
   * @param events told of each zone's lookup
   */
  public Dnsbl(Dns dns, DnsblSettings settings, Clock clock, Events events) {
    this.dns = dns;
    this.settings = settings;
    this.clock = clock;
    this.events = events;
  }

  /** Whether any zone is configured: without one, {@link #lookup} asks nothing. */
  public boolean enabled() {
    return settings.enabled();
  }

  public DnsblSettings settings() {
    return settings;
  }

  /**
   * Every zone's answer about {@code client}, in the order of the zones; within {@code
   * dnsbl.timeout}. Blocks; never throws for a DNS failure.
   */
  public List<DnsblAnswer> lookup(InetAddress client) {
    List<DnsblSettings.Zone> zones = settings.zones();
    if (zones.isEmpty()) {
      return List.of();
    }
    List<BoundedLookup<DnsblAnswer>> pending = new ArrayList<>(zones.size());
    for (DnsblSettings.Zone z : zones) {
      pending.add(BoundedLookup.start("dnsbl", settings.timeout(), () -> timedAnswer(z, client)));
    }
    List<DnsblAnswer> out = new ArrayList<>(zones.size());
    for (int i = 0; i < zones.size(); i++) {
      DnsblSettings.Zone z = zones.get(i);
      out.add(
          pending
              .get(i)
              .await(why -> new DnsblAnswer.Unknown(z, DnsblAnswer.Cause.DNS, "TIMEOUT: " + why)));
    }
    return out;
  }

  /**
   * The name asked of {@code zone} about {@code client} (RFC 5782 2.1, 2.4): the octets of an IPv4
   * address, or the nibbles of an IPv6 address, in reverse order, then the zone. An IPv4-mapped
   * IPv6 address is asked as the IPv4 address it carries.
   */
  static String queryName(InetAddress client, DnsblSettings.Zone zone) {
    return queryName(client, zone.name());
  }

  static String queryName(InetAddress client, String zone) {
    byte[] b = Addresses.unmap(client).getAddress();
    StringBuilder name = new StringBuilder(72 + zone.length());
    for (int i = b.length - 1; i >= 0; i--) {
      int octet = b[i] & 0xff;
      if (b.length == 4) {
        name.append(octet).append('.');
      } else {
        name.append(Character.forDigit(octet & 0xf, 16))
            .append('.')
            .append(Character.forDigit(octet >> 4, 16))
            .append('.');
      }
    }
    return name.append(zone).toString();
  }

  /** Asks {@code zone} about {@code client}, and tells how it went and how long it took. */
  private DnsblAnswer timedAnswer(DnsblSettings.Zone zone, InetAddress client) {
    long started = System.nanoTime();
    DnsblAnswer a = answer(zone, client, dns.a(queryName(client, zone)));
    Event.Listing listing =
        switch (a) {
          case DnsblAnswer.Listed l -> Event.Listing.LISTED;
          case DnsblAnswer.NotListed n -> Event.Listing.NOT_LISTED;
          case DnsblAnswer.Unknown u -> Event.Listing.UNKNOWN;
        };
    events.on(
        new Event.DnsblAsked(zone.name(), listing, Duration.ofNanos(System.nanoTime() - started)));
    return a;
  }

  /** What {@code answer}, the A lookup of the query name, means for {@code client}. */
  DnsblAnswer answer(DnsblSettings.Zone zone, InetAddress client, Answer<InetAddress> answer) {
    return switch (answer) {
      case Answer.NotFound<InetAddress> n -> new DnsblAnswer.NotListed(zone, n.absence().name());
      case Answer.Unknown<InetAddress> u ->
          new DnsblAnswer.Unknown(zone, DnsblAnswer.Cause.DNS, u.failure() + ": " + u.detail());
      case Answer.Found<InetAddress> f -> codes(zone, client, f.values());
    };
  }

  private DnsblAnswer codes(DnsblSettings.Zone zone, InetAddress client, List<InetAddress> codes) {
    List<InetAddress> outside =
        codes.stream().filter(c -> !DnsblSettings.ANSWERS.contains(c)).toList();
    if (!outside.isEmpty()) {
      String why =
          "answered "
              + text(outside)
              + ", outside 127.0.0.0/8: not a DNSBL answer (a resolver that rewrites NXDOMAIN, or a"
              + " list that is gone?)";
      warn(zone, DnsblAnswer.Cause.NOT_A_DNSBL_ANSWER, client, why);
      return new DnsblAnswer.Unknown(zone, DnsblAnswer.Cause.NOT_A_DNSBL_ANSWER, why);
    }
    List<InetAddress> refused =
        codes.stream().filter(c -> DnsblSettings.REFUSED.contains(c)).toList();
    if (!refused.isEmpty()) {
      String why =
          "the list refused the query: "
              + refused.stream()
                  .map(c -> Addresses.text(c) + " " + refusal(c))
                  .collect(Collectors.joining(", "));
      warn(zone, DnsblAnswer.Cause.REFUSED, client, why);
      return new DnsblAnswer.Unknown(zone, DnsblAnswer.Cause.REFUSED, why);
    }
    List<InetAddress> counted = codes.stream().filter(c -> counts(zone, c)).toList();
    if (counted.isEmpty()) {
      return new DnsblAnswer.NotListed(
          zone, "answered " + text(codes) + ", none of its codes " + codesText(zone));
    }
    return new DnsblAnswer.Listed(zone, counted);
  }

  private static boolean counts(DnsblSettings.Zone zone, InetAddress code) {
    if (zone.codes().isEmpty()) {
      return true;
    }
    for (Cidr c : zone.codes()) {
      if (c.contains(code)) {
        return true;
      }
    }
    return false;
  }

  /** What the refusal codes mean, as Spamhaus documents them; other lists use the same range. */
  private static String refusal(InetAddress code) {
    return switch (code.getAddress()[3] & 0xff) {
      case 252 -> "(a typo in the zone name)";
      case 254 -> "(query through a public or open resolver)";
      case 255 -> "(too many queries)";
      default -> "(an error code)";
    };
  }

  /**
   * Logs that {@code zone} gave an answer that cannot be used: the first time, then at most once
   * every {@link #WARN_EVERY} per zone and cause, so a list that refuses every query does not flood
   * the log.
   */
  private void warn(
      DnsblSettings.Zone zone, DnsblAnswer.Cause cause, InetAddress client, String why) {
    Instant now = clock.instant();
    String key = zone.name() + " " + cause;
    Instant last = warned.get(key);
    if (last != null && now.isBefore(last.plus(WARN_EVERY))) {
      return;
    }
    if (last == null ? warned.putIfAbsent(key, now) != null : !warned.replace(key, last, now)) {
      return; // another thread warned just now
    }
    log.warn(
        "dnsbl {}: {} for {}; treated as unknown, not as listed{} (logged at most every {} min)",
        zone.name(),
        why,
        Addresses.text(client),
        cause == DnsblAnswer.Cause.REFUSED
            ? ": ask the list through a resolver of your own (dns.resolver) or remove the zone"
            : "",
        WARN_EVERY.toMinutes());
  }

  private static String codesText(DnsblSettings.Zone zone) {
    return zone.codes().stream()
        .map(c -> c.length() == 32 ? Addresses.text(c.network()) : c.toString())
        .collect(Collectors.joining(", ", "(", ")"));
  }

  private static String text(List<InetAddress> codes) {
    return codes.stream().map(Addresses::text).collect(Collectors.joining(", "));
  }
}
