package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.observe.Json;

/**
 * contrib/ checked by Prometheus's own {@code promtool} (Debian's {@code prometheus} package; only
 * its tool is used, no server is started): the alert rules load, and every query of the Grafana
 * dashboard is valid PromQL. ContribTest checks that the metrics they name are the ones exposed.
 */
class ContribIT {
  private static final Path DASHBOARD = Path.of("contrib", "grafana", "mxtrap.json");
  private static final Path ALERTS = Path.of("contrib", "prometheus", "mxtrap-alerts.yml");

  @Test
  void theAlertRulesLoad() throws Exception {
    Path promtool = Programs.require("promtool", "prometheus");
    String out = run(promtool.toString(), "check", "rules", ALERTS.toString());
    assertThat(out).contains("SUCCESS: 4 rules found");
  }

  /**
   * Each panel's query becomes a recording rule, Grafana's variables replaced by what Grafana would
   * put there, and promtool parses them all.
   */
  @Test
  void everyDashboardQueryIsValidPromql(@TempDir Path dir) throws Exception {
    Path promtool = Programs.require("promtool", "prometheus");
    List<String> queries = new ArrayList<>();
    collect(Json.read(Files.readString(DASHBOARD), Map.class), queries);
    assertThat(queries).hasSizeGreaterThan(20);
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
    for (int i = 0; i < queries.size(); i++) {
      String q =
          queries
              .get(i)
              .replace("$__rate_interval", "5m")
              .replace("$__interval", "1m")
              .replace("$instance", ".*");
      rules
          .append("      - record: dashboard:query")
          .append(i)
          .append("\n        expr: ")
          .append(Json.write(q)) // a JSON string is a YAML double-quoted scalar
          .append('\n');
    }
    Path file = dir.resolve("dashboard-rules.yml");
    Files.writeString(file, rules);
    String out = run(promtool.toString(), "check", "rules", file.toString());
    assertThat(out).contains("SUCCESS: " + queries.size() + " rules found");
  }

  /** The panels' {@code expr}s, wherever they are nested. */
  private static void collect(Object node, List<String> out) {
    if (node instanceof Map<?, ?> m) {
      m.forEach(
          (k, v) -> {
            if (k.equals("expr") && v instanceof String s) {
              out.add(s);
            } else {
              collect(v, out);
            }
          });
    } else if (node instanceof List<?> l) {
      l.forEach(item -> collect(item, out));
    }
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool ends").isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      return out;
    } finally {
      p.destroyForcibly();
    }
  }
}
