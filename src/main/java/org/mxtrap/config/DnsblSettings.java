package org.mxtrap.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Cidr;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

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
      return new Zone(name, DEFAULT_WEIGHT, OnUnknown.OPEN, List.of());
    }

    private static final double DEFAULT_WEIGHT = 1.0;

    static final Key<Zone, String> ZONE =
        Key.required("zone", Type.of(DnsblSettings::zoneName, n -> n), "", null);
    static final Key<Zone, Double> WEIGHT =
        Key.of("weight", Type.number(), DEFAULT_WEIGHT, Zone::weight);
    static final Key<Zone, OnUnknown> ON_UNKNOWN =
        Key.of(
            "on_unknown",
            Type.choice(OnUnknown.class, "open", "closed"),
            OnUnknown.OPEN,
            Zone::onUnknown);
    static final Key<Zone, List<Cidr>> CODES =
        Key.of("codes", Type.of(DnsblSettings::codes, Type::join), List.of(), Zone::codes);

    /** A zone given as a mapping; {@link #of} is the same with every default. */
    static final Section<Zone> TABLE =
        Section.of(
            "dnsbl.zones[]",
            List.of(ZONE, WEIGHT, ON_UNKNOWN, CODES),
            v -> {
              String name = v.get(ZONE);
              double weight = v.get(WEIGHT);
              OnUnknown onUnknown = v.get(ON_UNKNOWN);
              List<Cidr> codes = v.get(CODES);
              return name == null || v.failed() ? null : new Zone(name, weight, onUnknown, codes);
            });
  }

  static final Key<DnsblSettings, List<Zone>> ZONES =
      Key.of(
          "zones",
          new Type<>(DnsblSettings::zones, DnsblSettings::show, Zone.TABLE),
          List.of(),
          DnsblSettings::zones);
  static final Key<DnsblSettings, Double> THRESHOLD =
      Key.of("threshold", Type.number(), DEFAULT_THRESHOLD, DnsblSettings::threshold);
  static final Key<DnsblSettings, Duration> TIMEOUT =
      Key.of(
          "timeout",
          Type.duration(MAX_TIMEOUT, DnsSettings.WHY_GREETING_WAIT),
          DEFAULT_TIMEOUT,
          DnsblSettings::timeout);

  static final Section<DnsblSettings> SECTION =
      Section.of(
              "dnsbl",
              List.of(ZONES, THRESHOLD, TIMEOUT),
              v -> new DnsblSettings(v.get(ZONES), v.get(THRESHOLD), v.get(TIMEOUT)))
          .describedAs(DnsblSettings::describe);

  /** No zones: no lookups. */
  public static final DnsblSettings NONE = SECTION.defaults();

  /** Shown as {@code threshold=1 timeout=2s zones=NAME*WEIGHT (closed)=CODES, ...}. */
  private static String describe(DnsblSettings d) {
    if (!d.enabled()) {
      return "(no zones)";
    }
    return "threshold="
        + Type.number(d.threshold())
        + " timeout="
        + Durations.format(d.timeout())
        + " zones="
        + show(d.zones());
  }

  /** {@code NAME*WEIGHT (closed)=CODES, ...}. */
  private static String show(List<Zone> zones) {
    return zones.stream()
        .map(
            z ->
                z.name()
                    + "*"
                    + Type.number(z.weight())
                    + (z.onUnknown() == OnUnknown.CLOSED ? " (closed)" : "")
                    + (z.codes().isEmpty() ? "" : "=" + Type.join(z.codes())))
        .collect(Collectors.joining(", "));
  }

  /** The zones of {@code dnsbl.zones}; null when any is reported. */
  private static @Nullable List<Zone> zones(Values in, Field f) {
    NodeReader r = in.reader();
    List<Field> items = r.list(f);
    if (items == null) {
      return null;
    }
    List<Zone> out = new ArrayList<>();
    boolean complete = true;
    for (Field item : items) {
      Zone z = zone(in, item);
      if (z == null) {
        complete = false;
      } else if (out.stream().anyMatch(o -> o.name().equals(z.name()))) {
        r.error(item, "zone listed twice: " + z.name());
        complete = false;
      } else {
        out.add(z);
      }
    }
    return complete ? out : null;
  }

  /** One zone: a mapping, or just its name (weight 1, on_unknown open, every listing code). */
  private static @Nullable Zone zone(Values in, Field item) {
    if (item.value() instanceof ScalarNode) {
      String name = zoneName(in, item);
      return name == null ? null : Zone.of(name);
    }
    if (!(item.value() instanceof MappingNode)) {
      in.reader()
          .error(
              item,
              "expected a mapping like { zone: zen.example-bl.test, weight: 1.0 } or a zone name,"
                  + " got "
                  + NodeReader.kind(item.value()));
      return null;
    }
    return Zone.TABLE.read(in, item);
  }

  private static @Nullable String zoneName(Values in, Field f) {
    String name = in.reader().domainName(f);
    if (name != null && name.length() > MAX_ZONE_LENGTH) {
      in.reader()
          .error(
              f,
              "a zone name is at most "
                  + MAX_ZONE_LENGTH
                  + " characters (an IPv6 query puts 64 in front of it), got "
                  + name.length());
      return null;
    }
    return name;
  }

  /**
   * The answers of a zone that count as a listing: addresses or prefixes in 127.0.0.0/8, none of
   * them among the refused codes. Null when reported.
   */
  private static @Nullable List<Cidr> codes(Values in, Field f) {
    if (f.value() instanceof SequenceNode seq && seq.getValue().isEmpty()) {
      in.reader()
          .error(f, "must list at least one code; remove the key to count every listing answer");
      return null;
    }
    return in.reader()
        .prefixes(
            f,
            (c, text) -> {
              if (!c.isV4() || c.length() < ANSWERS.length() || !ANSWERS.contains(c.network())) {
                return "not within 127.0.0.0/8, where every DNSBL answer lies: " + text;
              }
              if (c.length() >= REFUSED.length() && REFUSED.contains(c.network())) {
                return text
                    + " is among the codes lists use to refuse a query (127.255.255.0/24), which"
                    + " never count as a listing";
              }
              return null;
            });
  }
}
