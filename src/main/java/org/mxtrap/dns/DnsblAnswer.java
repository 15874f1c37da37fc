package org.mxtrap.dns;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.mxtrap.config.DnsblSettings;
import org.mxtrap.core.Addresses;

/**
 * What one DNS blocklist said about a client: {@link Listed}, {@link NotListed} or {@link Unknown},
 * never folded together (STYLE.md rule 3). Whether unknown counts is the zone's {@code on_unknown}.
 */
public sealed interface DnsblAnswer
    permits DnsblAnswer.Listed, DnsblAnswer.NotListed, DnsblAnswer.Unknown {

  /** The zone that answered. */
  DnsblSettings.Zone zone();

  /**
   * One phrase for people and the decision log: {@code bl.example listed (127.0.0.2)}, {@code
   * bl.example not listed}, {@code bl.example unknown (TIMEOUT: ...)}.
   */
  String describe();

  /**
   * The zone lists the client.
   *
   * @param codes the answers that count (at least one), in the order the resolver gave them
   */
  record Listed(DnsblSettings.Zone zone, List<InetAddress> codes) implements DnsblAnswer {
    public Listed {
      Objects.requireNonNull(zone, "zone");
      codes = List.copyOf(codes);
      if (codes.isEmpty()) {
        throw new IllegalArgumentException("a listing has at least one code");
      }
    }

    @Override
    public String describe() {
      return zone.name() + " listed (" + text(codes) + ")";
    }
  }

  /**
   * The zone does not list the client: NXDOMAIN or NODATA, or answers none of which is among the
   * zone's {@code codes}.
   *
   * @param why {@code NXDOMAIN}, {@code NODATA}, or the answers that did not count
   */
  record NotListed(DnsblSettings.Zone zone, String why) implements DnsblAnswer {
    public NotListed {
      Objects.requireNonNull(zone, "zone");
      Objects.requireNonNull(why, "why");
    }

    @Override
    public String describe() {
      return zone.name() + " not listed (" + why + ")";
    }
  }

  /** Why a zone's answer is unknown. */
  enum Cause {
    /** The lookup could not be made: timeout, SERVFAIL, REFUSED, a network error. */
    DNS,
    /** The list answered with a code that refuses the query (127.255.255.0/24). */
    REFUSED,
    /**
     * An answer outside 127.0.0.0/8: not a DNSBL's (a resolver rewriting NXDOMAIN, a dead list).
     */
    NOT_A_DNSBL_ANSWER
  }

  /**
   * Nothing is known: the zone could not be asked, refused to answer, or answered nonsense.
   *
   * @param why for people: the failure, or the codes it answered
   */
  record Unknown(DnsblSettings.Zone zone, Cause cause, String why) implements DnsblAnswer {
    public Unknown {
      Objects.requireNonNull(zone, "zone");
      Objects.requireNonNull(cause, "cause");
      Objects.requireNonNull(why, "why");
    }

    @Override
    public String describe() {
      return zone.name() + " unknown (" + why + ")";
    }
  }

  private static String text(List<InetAddress> codes) {
    return codes.stream().map(Addresses::text).collect(Collectors.joining(", "));
  }
}
