package org.mxtrap.observe;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.core.Verdict;

/**
 * The Prometheus metrics of this host, {@code GET /metrics} (the catalogue: docs/metrics.md): a
 * listener of the {@link Event events} for what happens, and a reader of the parts that hold the
 * rest ({@link Readings}) at each scrape. JVM and process metrics too. One registry of its own, so
 * two instances (tests) never share a value.
 *
 * <p>Labels are bounded: a layout entry's preference, address and role, a verdict, an outcome, a
 * store and operation named in the code, a DNSBL zone of the config; never a client's address.
 *
 * <p>Cost on the hot path: {@link #on} finds data points resolved at construction (per layout entry
 * and verdict, outcome, type) or, for labels named only by the events (store, operation, zone),
 * resolved on first use and kept; it never builds a label list. Thread-safe. Lifecycle: construct,
 * {@link #read} once before the servers start, then {@link #on} and {@link #write} from any thread.
 */
public final class Metrics implements Events {

  /** The content type of {@link #write}: the Prometheus text format 0.0.4. */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  /** Fallback clients remembered for {@code mxtrap_fallback_suppressed_total}; oldest dropped. */
  static final int FALLBACK_MEMORY = 10_000;

  /** Latency buckets of store calls, in seconds: in-memory lookups to a slow disk or network. */
  private static final double[] STORE_BUCKETS = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1
  };

  /** Latency buckets of DNS and DNSBL lookups, in seconds, up to the longest timeouts. */
  private static final double[] DNS_BUCKETS = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  /**
   * What the metrics read at each scrape from the parts that hold it, on the scraping thread. Each
   * method must be cheap with 100,000 suppressions and must not block on the network.
   */
  public interface Readings {

    /** Whether trap or backup entry {@code e} is armed at {@code now}. */
    boolean armed(LayoutEntry e, Instant now);

    /**
     * When the last outage of primary or backup entry {@code e} ended: {@code now} while it lasts;
     * null when {@code e} was never down since its history began.
     */
    @Nullable Instant outageEnded(LayoutEntry e, Instant now);

    /** Messages in the queue. */
    int queued();

    /** When the oldest queued message arrived; null when the queue is empty. */
    @Nullable Instant oldestQueued();

    /** Suppressions active at {@code now}. */
    int suppressionsActive(Instant now);
  }

  /** The data points of one layout entry, resolved at construction. */
  private record EntryPoints(
      CounterDataPoint accepted,
      CounterDataPoint[] refused, // by Event.Refusal ordinal
      CounterDataPoint[] decided, // by Verdict ordinal
      @Nullable CounterDataPoint trapHits) {}

  private final Clock clock;
  private final Duration window;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Map<LayoutEntry, EntryPoints> entries = new HashMap<>();
  private final CounterDataPoint[] refusedNowhere; // by Event.Refusal ordinal
  private final Map<String, CounterDataPoint> suppressionsAdded = new HashMap<>(); // by reason
  private final CounterDataPoint suppressionsExpired;
  private final CounterDataPoint suppressionsRemoved;
  private final CounterDataPoint fallbackSuppressed;
  private final Counter storeErrors;
  private final Map<String, Map<String, CounterDataPoint>> storeErrorPoints =
      new ConcurrentHashMap<>();
  private final Histogram storeSeconds;
  private final Map<String, Map<String, DistributionDataPoint>> storeSecondsPoints =
      new ConcurrentHashMap<>();
  private final CounterDataPoint[][] dnsLookups; // by Event.RecordType, Event.Lookup ordinals
  private final DistributionDataPoint[] dnsSeconds; // by Event.RecordType ordinal
  private final Counter dnsblLookups;
  private final Map<String, CounterDataPoint[]> dnsblLookupPoints = new ConcurrentHashMap<>();
  private final Histogram dnsblSeconds;
  private final Map<String, DistributionDataPoint> dnsblSecondsPoints = new ConcurrentHashMap<>();
  private final CounterDataPoint messagesAccepted;
  private final CounterDataPoint[] deliveries; // by Event.Outcome ordinal
  private final Gauge tarpitHeld;
  private final Gauge statePartial;
  // The last time each client was served as fallback, least recent first; guarded by itself.
  private final LinkedHashMap<InetAddress, Instant> fallbacks =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, Instant> eldest) {
          return size() > FALLBACK_MEMORY;
        }
      };
  private volatile @Nullable Readings readings;

  /**
   * @param layout every entry of the layout, each with its data points from the start
   * @param window {@code trap.window}: how long a fallback client is remembered for {@code
   *     mxtrap_fallback_suppressed_total}
   * @param clock the time of that memory and of the scrape-time readings
   * @param version this build's version, and {@code hostname} this host's: {@code mxtrap_info}
   */
  public Metrics(
      List<LayoutEntry> layout, Duration window, Clock clock, String version, String hostname) {
    this.clock = clock;
    this.window = window;
    Counter connections =
        counter("mxtrap_connections", "Connections, by layout entry and outcome")
            .labelNames("preference", "address", "role", "outcome")
            .register(registry);
    Counter decisions =
        counter("mxtrap_decisions", "Decisions of the trap engine, by layout entry and verdict")
            .labelNames("preference", "address", "role", "verdict")
            .register(registry);
    Counter trapHits =
        counter("mxtrap_trap_hits", "Trap hits: decisions with verdict mx-skip, by trap entry")
            .labelNames("preference", "address")
            .register(registry);
    for (LayoutEntry e : layout) {
      String preference = Integer.toString(e.preference());
      String address = Addresses.literal(e.address(), e.port());
      String role = e.role().label();
      CounterDataPoint[] refused = new CounterDataPoint[Event.Refusal.values().length];
      for (Event.Refusal r : Event.Refusal.values()) {
        if (r != Event.Refusal.NO_LAYOUT_ENTRY) {
          refused[r.ordinal()] = connections.labelValues(preference, address, role, label(r));
        }
      }
      CounterDataPoint[] decided = new CounterDataPoint[Verdict.values().length];
      for (Verdict v : Verdict.values()) {
        decided[v.ordinal()] = decisions.labelValues(preference, address, role, v.label());
      }
      entries.put(
          e,
          new EntryPoints(
              connections.labelValues(preference, address, role, "accepted"),
              refused,
              decided,
              e.role() == Role.TRAP ? trapHits.labelValues(preference, address) : null));
    }
    refusedNowhere = new CounterDataPoint[Event.Refusal.values().length];
    refusedNowhere[Event.Refusal.NO_LAYOUT_ENTRY.ordinal()] =
        connections.labelValues("", "", "none", label(Event.Refusal.NO_LAYOUT_ENTRY));

    Counter added =
        counter("mxtrap_suppressions_added", "Suppressions added, by reason: a verdict or manual")
            .labelNames("reason")
            .register(registry);
    for (Verdict v : Verdict.values()) {
      suppressionsAdded.put(v.label(), added.labelValues(v.label()));
    }
    suppressionsAdded.put("manual", added.labelValues("manual"));
    suppressionsExpired =
        counter("mxtrap_suppressions_expired", "Suppressions that ended when their time was up")
            .register(registry);
    suppressionsRemoved =
        counter("mxtrap_suppressions_removed", "Suppressions an operator removed before their end")
            .register(registry);
    fallbackSuppressed =
        counter(
                "mxtrap_fallback_suppressed",
                "Suppressions of a prefix holding a client served as fallback within trap.window"
                    + " before: a real MTA hurt?")
            .register(registry);
    storeErrors =
        counter("mxtrap_store_errors", "Store calls that failed, by store and operation")
            .labelNames("store", "operation")
            .register(registry);
    storeSeconds =
        histogram(
                "mxtrap_store_seconds", "Store call latency, by store and operation", STORE_BUCKETS)
            .labelNames("store", "operation")
            .register(registry);

    Counter dns =
        counter("mxtrap_dns_lookups", "DNS lookups made (not cache hits), by type and outcome")
            .labelNames("type", "outcome")
            .register(registry);
    Histogram dnsLatency =
        histogram("mxtrap_dns_lookup_seconds", "DNS lookup latency, by type", DNS_BUCKETS)
            .labelNames("type")
            .register(registry);
    dnsLookups = new CounterDataPoint[Event.RecordType.values().length][];
    dnsSeconds = new DistributionDataPoint[Event.RecordType.values().length];
    for (Event.RecordType t : Event.RecordType.values()) {
      dnsLookups[t.ordinal()] = new CounterDataPoint[Event.Lookup.values().length];
      for (Event.Lookup o : Event.Lookup.values()) {
        dnsLookups[t.ordinal()][o.ordinal()] = dns.labelValues(label(t), label(o));
      }
      dnsSeconds[t.ordinal()] = dnsLatency.labelValues(label(t));
    }
    dnsblLookups =
        counter("mxtrap_dnsbl_lookups", "DNSBL lookups, by zone and outcome")
            .labelNames("zone", "outcome")
            .register(registry);
    dnsblSeconds =
        histogram("mxtrap_dnsbl_lookup_seconds", "DNSBL lookup latency, by zone", DNS_BUCKETS)
            .labelNames("zone")
            .register(registry);

    messagesAccepted =
        counter("mxtrap_messages_accepted", "Messages acknowledged with 250").register(registry);
    Counter delivered =
        counter("mxtrap_deliveries", "Delivery attempts of one recipient, by result")
            .labelNames("result")
            .register(registry);
    deliveries = new CounterDataPoint[Event.Outcome.values().length];
    for (Event.Outcome o : Event.Outcome.values()) {
      deliveries[o.ordinal()] = delivered.labelValues(label(o));
    }
    tarpitHeld =
        Gauge.builder()
            .name("mxtrap_tarpit_held")
            .help("Connections the tarpit holds now")
            .withoutExemplars()
            .register(registry);
    statePartial =
        Gauge.builder()
            .name("mxtrap_state_partial")
            .help("1 while this host's view of the shared state is partial")
            .withoutExemplars()
            .register(registry);
    Info.builder()
        .name("mxtrap_info")
        .help("This mxtrap: its version and host name")
        .labelNames("version", "hostname")
        .register(registry)
        .setLabelValues(version, hostname);
    scraped(layout);
    JvmMetrics.builder().register(registry);
  }

  /** The gauges read at scrape time through {@link Readings}; none while it is not set. */
  private void scraped(List<LayoutEntry> layout) {
    String[] entry = {"preference", "address", "role"};
    scrapedGauge(
        "mxtrap_suppressions_active",
        "Suppressions active now",
        (r, now, g) -> g.call(r.suppressionsActive(now)));
    scrapedGauge(
        "mxtrap_entry_armed",
        "1 while the trap or backup entry is armed, else 0",
        (r, now, g) -> {
          for (LayoutEntry e : layout) {
            if (e.role() != Role.PRIMARY) {
              g.call(r.armed(e, now) ? 1 : 0, labels(e));
            }
          }
        },
        entry);
    scrapedGauge(
        "mxtrap_entry_outage_seconds_ago",
        "Seconds since the entry's last outage ended, 0 while it is down; absent when never down"
            + " since its history began",
        (r, now, g) -> {
          for (LayoutEntry e : layout) {
            Instant ended = e.role() == Role.TRAP ? null : r.outageEnded(e, now);
            if (ended != null) {
              g.call(seconds(Duration.between(ended, now)), labels(e));
            }
          }
        },
        entry);
    scrapedGauge(
        "mxtrap_queue_messages", "Messages in the queue", (r, now, g) -> g.call(r.queued()));
    scrapedGauge(
        "mxtrap_queue_oldest_age_seconds",
        "Age of the oldest queued message, 0 when the queue is empty",
        (r, now, g) -> {
          Instant oldest = r.oldestQueued();
          g.call(oldest == null ? 0 : seconds(Duration.between(oldest, now)));
        });
  }

  /** How a scrape-time gauge reads its values from {@code r} at {@code now}. */
  @FunctionalInterface
  private interface Reading {
    void read(Readings r, Instant now, GaugeWithCallback.Callback g);
  }

  private void scrapedGauge(String name, String help, Reading reading, String... labelNames) {
    GaugeWithCallback.builder()
        .name(name)
        .help(help)
        .labelNames(labelNames)
        .callback(
            g -> {
              Readings r = readings;
              if (r != null) {
                reading.read(r, clock.instant(), g);
              }
            })
        .register(registry);
  }

  /**
   * Where the scrape-time gauges read from: set once, after the parts are wired and before the
   * servers start (until then they have no value).
   *
   * @throws IllegalStateException when set already
   */
  public void read(Readings r) {
    if (readings != null) {
      throw new IllegalStateException("readings are set already");
    }
    readings = r;
  }

  /** Writes every metric in the Prometheus text format ({@link #CONTENT_TYPE}) to {@code out}. */
  public void write(OutputStream out) throws IOException {
    writer.write(out, registry.scrape());
  }

  @Override
  public void on(Event e) {
    switch (e) {
      case Event.Connected c -> points(c.entry()).accepted().inc();
      case Event.Refused r -> {
        LayoutEntry entry = r.entry();
        (entry == null ? refusedNowhere : points(entry).refused())[r.refusal().ordinal()].inc();
      }
      case Event.Decided d -> decided(d);
      case Event.Suppressed s -> suppressed(s);
      case Event.SuppressionsExpired x -> suppressionsExpired.inc(x.count());
      case Event.StoreFailed f ->
          twoLabels(storeErrorPoints, storeErrors::labelValues, f.store(), f.operation()).inc();
      case Event.StoreCalled c ->
          twoLabels(storeSecondsPoints, storeSeconds::labelValues, c.store(), c.operation())
              .observe(seconds(c.took()));
      case Event.DnsAsked d -> {
        dnsLookups[d.type().ordinal()][d.outcome().ordinal()].inc();
        dnsSeconds[d.type().ordinal()].observe(seconds(d.took()));
      }
      case Event.DnsblAsked d -> {
        dnsblLookupPoints.computeIfAbsent(d.zone(), this::dnsblPoints)[d.outcome().ordinal()].inc();
        dnsblSecondsPoints
            .computeIfAbsent(d.zone(), z -> dnsblSeconds.labelValues(z))
            .observe(seconds(d.took()));
      }
      case Event.MessageAccepted m -> messagesAccepted.inc();
      case Event.Delivery d -> deliveries[d.outcome().ordinal()].inc();
      case Event.TarpitHeld t -> tarpitHeld.set(t.held());
      case Event.StatePartial p -> statePartial.set(1);
      case Event.StateWhole w -> statePartial.set(0);
      case Event.SuppressionRemoved r -> suppressionsRemoved.inc();
    }
  }

  private void decided(Event.Decided d) {
    Verdict v = d.decision().verdict();
    EntryPoints p = points(d.contact().entry());
    p.decided()[v.ordinal()].inc();
    switch (v) {
      case MX_SKIP -> {
        if (p.trapHits() != null) {
          p.trapHits().inc();
        }
      }
      case FALLBACK -> {
        synchronized (fallbacks) {
          InetAddress client = d.contact().client();
          fallbacks.remove(client); // so that it goes to the end, as the most recent
          fallbacks.put(client, d.contact().at());
        }
      }
      default -> {}
    }
  }

  /**
   * Counts the suppression, and once more as a false-positive signal when its prefix holds a client
   * served as fallback within {@code trap.window} before now.
   */
  private void suppressed(Event.Suppressed s) {
    CounterDataPoint added = suppressionsAdded.get(s.reason());
    if (added == null) {
      throw new IllegalArgumentException("not a suppression reason: " + s.reason());
    }
    added.inc();
    Instant since = clock.instant().minus(window);
    Cidr prefix = s.prefix();
    boolean hurt = false;
    synchronized (fallbacks) {
      if (prefix.length() == (prefix.isV4() ? 32 : 128)) {
        Instant at = fallbacks.get(prefix.network());
        hurt = at != null && !at.isBefore(since);
      } else {
        for (Iterator<Map.Entry<InetAddress, Instant>> i = fallbacks.entrySet().iterator();
            i.hasNext() && !hurt; ) {
          Map.Entry<InetAddress, Instant> f = i.next();
          hurt = !f.getValue().isBefore(since) && prefix.contains(f.getKey());
        }
      }
    }
    if (hurt) {
      fallbackSuppressed.inc();
    }
  }

  /**
   * The points of {@code e}.
   *
   * @throws IllegalArgumentException when {@code e} is not an entry of the layout (a bug)
   */
  private EntryPoints points(LayoutEntry e) {
    EntryPoints p = entries.get(e);
    if (p == null) {
      throw new IllegalArgumentException("not an entry of the layout: " + e.describe());
    }
    return p;
  }

  private CounterDataPoint[] dnsblPoints(String zone) {
    CounterDataPoint[] points = new CounterDataPoint[Event.Listing.values().length];
    for (Event.Listing l : Event.Listing.values()) {
      points[l.ordinal()] = dnsblLookups.labelValues(zone, label(l));
    }
    return points;
  }

  /** The point of ({@code a}, {@code b}) in {@code points}, made by {@code make} on first use. */
  private static <P> P twoLabels(
      Map<String, Map<String, P>> points, Function<String[], P> make, String a, String b) {
    Map<String, P> inner = points.get(a);
    if (inner == null) {
      inner = points.computeIfAbsent(a, k -> new ConcurrentHashMap<>());
    }
    P p = inner.get(b);
    return p != null ? p : inner.computeIfAbsent(b, k -> make.apply(new String[] {a, b}));
  }

  private static String[] labels(LayoutEntry e) {
    return new String[] {
      Integer.toString(e.preference()), Addresses.literal(e.address(), e.port()), e.role().label()
    };
  }

  /** {@code CONNECTION_LIMIT} → {@code connection_limit}: an enum constant as a label value. */
  private static String label(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT);
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  private static Counter.Builder counter(String name, String help) {
    return Counter.builder().name(name).help(help).withoutExemplars();
  }

  private static Histogram.Builder histogram(String name, String help, double[] buckets) {
    return Histogram.builder()
        .name(name)
        .help(help)
        .classicOnly()
        .classicUpperBounds(buckets)
        .withoutExemplars();
  }
}
