package org.mxtrap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Json;
import org.mxtrap.observe.Metrics;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * contrib/ (the Grafana dashboard, the Prometheus alert rules) is built only on metrics the server
 * exposes: a metric renamed or dropped fails here, not in an operator's empty panel or silent
 * alert.
 */
class ContribTest {
  private static final Path DASHBOARD = Path.of("contrib", "grafana", "mxtrap.json");
  private static final Path ALERTS = Path.of("contrib", "prometheus", "mxtrap-alerts.yml");

  /** A metric name in PromQL: ours, and the JVM and process metrics of the Prometheus library. */
  private static final Pattern METRIC = Pattern.compile("\\b(?:mxtrap|jvm|process)_\\w+");

  /**
   * The metric families that {@code GET /metrics} writes, each without the suffix the exposition
   * adds ({@link #family}): the {@code # TYPE} lines of a real {@link Metrics} scrape, after one
   * event of each kind (a family with labels shows only once it has a value) and with readings that
   * give every scrape-time gauge a value.
   */
  static Set<String> exposedNames() throws IOException {
    LayoutEntry primary = entry(10, Role.PRIMARY);
    LayoutEntry trap = entry(30, Role.TRAP);
    Clock clock = Clock.fixed(Instant.parse("2026-03-01T12:00:00Z"), ZoneOffset.UTC);
    Metrics metrics =
        new Metrics(List.of(primary, trap), Duration.ofHours(24), clock, "0", "mx.example.test");
    metrics.read(
        new Metrics.Readings() {
          @Override
          public boolean armed(LayoutEntry e, Instant now) {
            return true;
          }

          @Override
          public Instant outageEnded(LayoutEntry e, Instant now) {
            return now;
          }

          @Override
          public int queued() {
            return 1;
          }

          @Override
          public Instant oldestQueued() {
            return clock.instant();
          }

          @Override
          public int suppressionsActive(Instant now) {
            return 1;
          }
        });
    metrics.on(new Event.StoreFailed("suppressions", "find", new IllegalStateException("down")));
    metrics.on(new Event.StoreCalled("suppressions", "find", Duration.ofMillis(1)));
    metrics.on(new Event.DnsAsked(Event.RecordType.PTR, Event.Lookup.FOUND, Duration.ofMillis(1)));
    metrics.on(
        new Event.DnsblAsked("zen.example.test", Event.Listing.LISTED, Duration.ofMillis(1)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    metrics.write(out);
    Set<String> names = new TreeSet<>();
    for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("# TYPE ")) {
        names.add(family(line.split(" ")[2]));
      }
    }
    assertThat(names).as("the scrape's families").hasSizeGreaterThan(30);
    return names;
  }

  private static LayoutEntry entry(int preference, Role role) {
    return new LayoutEntry(
        preference,
        "mx" + preference + ".example.test",
        InetAddress.getLoopbackAddress(),
        25,
        role);
  }

  /**
   * The family of a sample's name: without the {@code _total} of a counter, the {@code _bucket},
   * {@code _sum} or {@code _count} of a histogram or summary.
   */
  static String family(String name) {
    return name.replaceFirst("_(?:bucket|sum|count|total)$", "");
  }

  /** The families of the metrics a PromQL expression names. */
  static Set<String> metricFamilies(String promql) {
    Set<String> out = new TreeSet<>();
    Matcher m = METRIC.matcher(promql);
    while (m.find()) {
      out.add(family(m.group()));
    }
    return out;
  }

  @Test
  void theNamesOfAnExpressionAreItsMetricFamilies() {
    assertThat(
            metricFamilies(
                "histogram_quantile(0.99, sum by (le, store) (rate(mxtrap_store_seconds_bucket"
                    + "{instance=~\"$instance\", role=\"trap\"}[$__rate_interval])))"
                    + " / on() process_cpu_seconds_total + mxtrap_entry_armed"))
        .containsExactly("mxtrap_entry_armed", "mxtrap_store_seconds", "process_cpu_seconds");
  }

  @Test
  void theDashboardImportsOnAnyPrometheus() throws IOException {
    Map<String, Object> dashboard = dashboard();
    assertThat(dashboard).containsEntry("schemaVersion", 39.0);
    assertThat(list(dashboard.get("__inputs")))
        .singleElement()
        .satisfies(
            in ->
                assertThat(map(in))
                    .containsEntry("name", "DS_PROMETHEUS")
                    .containsEntry("type", "datasource")
                    .containsEntry("pluginId", "prometheus"));
    Set<Object> ids = new HashSet<>();
    for (Object p : list(dashboard.get("panels"))) {
      Map<String, Object> panel = map(p);
      assertThat(ids.add(panel.get("id"))).as("a panel id once: %s", panel.get("id")).isTrue();
      if (panel.get("type").equals("row")) {
        continue;
      }
      assertThat(panel.get("datasource")).as("%s", panel.get("title")).isEqualTo(prometheus());
      assertThat(list(panel.get("targets"))).as("%s", panel.get("title")).isNotEmpty();
      for (Object t : list(panel.get("targets"))) {
        assertThat(map(t)).containsEntry("datasource", prometheus());
        assertThat((String) map(t).get("expr")).isNotBlank();
      }
    }
  }

  @Test
  void everyMetricTheDashboardUsesIsExposed() throws IOException {
    Set<String> used = new TreeSet<>();
    for (String promql : queries(dashboard())) {
      used.addAll(metricFamilies(promql));
    }
    assertThat(used).hasSizeGreaterThan(20).isSubsetOf(exposedNames());
  }

  @Test
  void theAlertRulesAreTheIssues() throws IOException {
    Map<String, Map<String, Object>> rules = alertRules();
    assertThat(rules)
        .containsOnlyKeys(
            "MxtrapTrapDisarmed",
            "MxtrapBackupQueueOld",
            "MxtrapStoreErrors",
            "MxtrapFallbackSenderSuppressed");
    assertThat(rules.get("MxtrapTrapDisarmed")).containsEntry("for", "1h");
    assertThat((String) rules.get("MxtrapBackupQueueOld").get("expr")).contains("> 1800");
    for (Map<String, Object> rule : rules.values()) {
      assertThat(map(rule.get("annotations"))).containsKeys("summary", "description");
    }
  }

  @Test
  void everyMetricTheAlertRulesUseIsExposed() throws IOException {
    Set<String> used = new TreeSet<>();
    for (Map<String, Object> rule : alertRules().values()) {
      used.addAll(metricFamilies((String) rule.get("expr")));
    }
    assertThat(used).hasSize(4).isSubsetOf(exposedNames());
  }

  private static Map<String, Object> prometheus() {
    return Map.of("type", "prometheus", "uid", "${DS_PROMETHEUS}");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> dashboard() throws IOException {
    return Json.read(Files.readString(DASHBOARD), Map.class);
  }

  /** The alerting rules by name. */
  private static Map<String, Map<String, Object>> alertRules() throws IOException {
    Map<String, Object> file =
        new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(ALERTS));
    Map<String, Map<String, Object>> rules = new java.util.LinkedHashMap<>();
    for (Object group : list(file.get("groups"))) {
      for (Object r : list(map(group).get("rules"))) {
        Map<String, Object> rule = map(r);
        assertThat(rules.put((String) rule.get("alert"), rule)).as("an alert name once").isNull();
      }
    }
    return rules;
  }

  /**
   * Every PromQL text of a dashboard: the panels' {@code expr} and the template variables' queries
   * ({@code definition}, {@code query}), wherever they are nested.
   */
  private static List<String> queries(Object node) {
    List<String> out = new ArrayList<>();
    if (node instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (e.getValue() instanceof String s
            && (e.getKey().equals("expr")
                || e.getKey().equals("definition")
                || e.getKey().equals("query"))) {
          out.add(s);
        } else {
          out.addAll(queries(e.getValue()));
        }
      }
    } else if (node instanceof List<?> l) {
      for (Object item : l) {
        out.addAll(queries(item));
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    assertThat(o).isInstanceOf(Map.class);
    return (Map<String, Object>) o;
  }

  private static List<?> list(Object o) {
    assertThat(o).isInstanceOf(List.class);
    return (List<?>) o;
  }
}
