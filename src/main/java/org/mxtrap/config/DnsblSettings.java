package org.mxtrap.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.mxtrap.core.Cidr;

/**
 * The DNS blocklists asked about every client (PRODUCT.md {@code dnsbl}): each zone adds its weight
 * to the client's score when it lists the client, and a score at or above {@code threshold} refuses
 * the connection. No zones: no DNSBL lookups at all.
 *
 * @param zones the zones, in the order they were configured; empty when DNSBLs are off
 * @param threshold the score at or above which the client is refused; positive
 * @param timeout how long the lookups of one client may take in all (the zones are asked at the
 *     same time); a zone that has not answered by then is unknown
 */
public record DnsblSettings(List<Zone> zones, double threshold, Duration timeout) {

  /** Every answer a DNSBL gives lies in 127.0.0.0/8 (RFC 5782 2.1); others are errors. */
  public static final Cidr ANSWERS = Cidr.parse("127.0.0.0/8");

  /**
   * The answers lists use to say "you may not ask" rather than "listed": Spamhaus answers
   * 127.255.255.252 for a typo in the zone name, .254 for a query through a public resolver, .255
   * for too many queries. They never count as a listing, whatever {@code codes} says.
   */
  public static final Cidr REFUSED = Cidr.parse("127.255.255.0/24");

  public static final double DEFAULT_THRESHOLD = 1.0;
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

  /** The longest {@code timeout}: a client waits that long for its greeting when DNS is slow. */
  public static final Duration MAX_TIMEOUT = Duration.ofMinutes(1);

  /**
   * The longest zone name: an IPv6 query name puts 64 characters (32 nibbles and their dots) in
   * front of it, and a name has at most 253.
   */
  public static final int MAX_ZONE_LENGTH = 253 - 64;

  /** No zones: no lookups. */
  public static final DnsblSettings NONE =
      new DnsblSettings(List.of(), DEFAULT_THRESHOLD, DEFAULT_TIMEOUT);

  public DnsblSettings {
    zones = List.copyOf(zones);
    Objects.requireNonNull(timeout, "timeout");
    if (!(threshold > 0) || Double.isInfinite(threshold)) {
      throw new IllegalArgumentException("threshold must be a positive number: " + threshold);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
  }

  /** Whether any zone is configured. */
  public boolean enabled() {
    return !zones.isEmpty();
  }

  /** What a zone that cannot be asked (timeout, SERVFAIL, a refused query, ...) adds. */
  public enum OnUnknown {
    /** Nothing: the client is judged by the other zones (the default). */
    OPEN,
    /** Its weight, as if it listed the client; a refusal on that score alone is a tempfail. */
    CLOSED
  }

  /**
   * One DNS blocklist.
   *
   * @param name the zone the reversed address is looked up under, e.g. {@code zen.example-bl.test}
   * @param weight what a listing adds to the score; positive
   * @param onUnknown what the zone adds when it cannot be asked
   * @param codes the answers that count as a listing (addresses or prefixes in 127.0.0.0/8); empty
   *     means every answer in 127.0.0.0/8 except {@link #REFUSED}. An answer of the list that is
   *     not among them means "not listed" for us (the client is on a part of the list we do not
   *     use).
   */
  public record Zone(String name, double weight, OnUnknown onUnknown, List<Cidr> codes) {
    public Zone {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(onUnknown, "onUnknown");
      codes = List.copyOf(codes);
      if (!(weight > 0) || Double.isInfinite(weight)) {
        throw new IllegalArgumentException("weight must be a positive number: " + weight);
      }
    }

    /** A zone of weight 1 that fails open and counts every listing answer. */
    public static Zone of(String name) {
      return new Zone(name, 1.0, OnUnknown.OPEN, List.of());
    }
  }
}
