package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} of the packaged server after a scripted scenario — one message delivered to
 * the primary (swaks), one trap hit (a client of another /24 straight to the armed MX 30), the
 * suppression that follows — read with a real Prometheus text parser: Debian's
 * python3-prometheus-client ({@code text_string_to_metric_families}), never by string search.
 */
class MetricsIT extends ServerPerClass {
  static final Duration WAIT = Duration.ofSeconds(30);

  /** Prints each sample of the exposition on stdin as one JSON object: name, labels, value. */
  static final String PARSE =
      """
      import json, sys
      from prometheus_client.parser import text_string_to_metric_families
      for family in text_string_to_metric_families(sys.stdin.read()):
          for s in family.samples:
              print(json.dumps({"name": s.name, "labels": s.labels, "value": s.value}))
      """;

  Path python;
  String token;

  @Override
  TestLayout layout(Path dir) {
    // The trap arms after a second of history; a contact from 127.0.0.1 excuses 127.0.0.0/24 only.
    return new TestLayout(dir).extra("trap: { arm_after: 1s, excuse_prefix_v4: 24 }\n");
  }

  @BeforeAll
  void parserAndToken() throws Exception {
    python = Programs.requirePython("prometheus_client", "python3-prometheus-client");
    token = Files.readString(layout.dataDir.resolve("admin.token")).strip();
  }

  @Test
  void aDeliveryATrapHitAndItsSuppressionAreCounted() throws Exception {
    Samples armed =
        SharedStateIT.await(
            WAIT,
            this::scrape,
            s -> Double.valueOf(1).equals(s.find("mxtrap_entry_armed", "preference", "30")));
    assertThat(armed.value("mxtrap_entry_armed", "preference", "30", "role", "trap")).isEqualTo(1);

    Swaks.Result sent =
        Swaks.run(layout.primary, "--to", "bob@example.test", "--from", "alice@client.test");
    assertThat(sent.exitCode()).as(sent.transcript()).isZero();
    assertThat(SmtpHarness.awaitMessages(layout.inbox("bob"), 1, WAIT)).hasSize(1);

    try (RawSmtp spammer =
        new RawSmtp(
            InetAddress.getLoopbackAddress(), layout.trap30, InetAddress.getByName("127.0.1.66"))) {
      assertThat(spammer.reply()).startsWith("421 4.7.0");
    }

    Samples s =
        SharedStateIT.await(
            WAIT,
            this::scrape,
            m -> Double.valueOf(1).equals(m.find("mxtrap_suppressions_active")));
    assertThat(s.value("mxtrap_suppressions_active")).isEqualTo(1);
    assertThat(s.value("mxtrap_messages_accepted_total")).isEqualTo(1);
    assertThat(s.value("mxtrap_deliveries_total", "result", "sent")).isEqualTo(1);
    assertThat(
            s.value(
                "mxtrap_decisions_total",
                "preference",
                "30",
                "address",
                "127.0.0.1:" + layout.trap30,
                "role",
                "trap",
                "verdict",
                "mx-skip"))
        .isEqualTo(1);
    assertThat(s.value("mxtrap_trap_hits_total", "preference", "30")).isEqualTo(1);
    assertThat(s.value("mxtrap_trap_hits_total", "preference", "40")).isEqualTo(0);
    assertThat(s.value("mxtrap_suppressions_added_total", "reason", "mx-skip")).isEqualTo(1);
    assertThat(s.value("mxtrap_fallback_suppressed_total")).isEqualTo(0);
    assertThat(s.value("mxtrap_connections_total", "preference", "30", "outcome", "accepted"))
        .isEqualTo(1);
    // The start-up probe greets the primary too: at least swaks's connection and its decision.
    assertThat(s.value("mxtrap_connections_total", "preference", "10", "outcome", "accepted"))
        .isGreaterThanOrEqualTo(1);
    assertThat(s.value("mxtrap_decisions_total", "preference", "10", "verdict", "accept"))
        .isGreaterThanOrEqualTo(1);
    assertThat(
            s.value("mxtrap_store_seconds_count", "store", "suppressions", "operation", "offend"))
        .isEqualTo(1);
    assertThat(s.value("mxtrap_queue_messages")).isEqualTo(0);
    assertThat(s.value("mxtrap_info", "hostname", "mail.example.test")).isEqualTo(1);
    assertThat(s.value("process_open_fds")).isGreaterThan(0);
    assertThat(s.names()).anyMatch(n -> n.startsWith("jvm_memory_"));
  }

  @Test
  void withoutTheTokenTheScrapeIsRefused() throws Exception {
    HttpResponse<String> r = get(layout.admin, null);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
  }

  @Test
  void withMetricsPublicTheScrapeNeedsNoTokenButTheRestOfTheApiDoes(@TempDir Path other)
      throws Exception {
    TestLayout open = new TestLayout(other).admin("metrics_public: true");
    try (MxtrapProcess server = open.start()) {
      HttpResponse<String> r =
          SharedStateIT.await(WAIT, () -> get(open.admin, null), MetricsIT::answered);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type"))
          .hasValue("text/plain; version=0.0.4; charset=utf-8");
      assertThat(parse(r.body()).value("mxtrap_suppressions_active")).isEqualTo(0);
      assertThat(get(open.admin, "/status", null).statusCode()).isEqualTo(401);
    }
  }

  private static boolean answered(@Nullable HttpResponse<String> r) {
    return r != null;
  }

  private Samples scrape() throws Exception {
    HttpResponse<String> r = get(layout.admin, token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return parse(r.body());
  }

  private static @Nullable HttpResponse<String> get(int port, @Nullable String bearer)
      throws Exception {
    return get(port, "/metrics", bearer);
  }

  /** The answer; null while nothing listens on {@code port} yet. */
  private static @Nullable HttpResponse<String> get(int port, String path, @Nullable String bearer)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (java.net.ConnectException notYet) {
      return null;
    }
  }

  /** The exposition as the Prometheus client library's parser reads it. */
  private Samples parse(String exposition) throws Exception {
    Process p =
        new ProcessBuilder(python.toString(), "-c", PARSE)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try (var in = p.getOutputStream()) {
      in.write(exposition.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("the parser did not finish");
    }
    assertThat(p.exitValue()).as("the parser's exit code (its errors: on stderr)").isZero();
    List<Sample> samples = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        Map<String, String> labels = new TreeMap<>();
        for (Map.Entry<String, JsonElement> l : o.getAsJsonObject("labels").entrySet()) {
          labels.put(l.getKey(), l.getValue().getAsString());
        }
        samples.add(new Sample(o.get("name").getAsString(), labels, o.get("value").getAsDouble()));
      }
    }
    return new Samples(samples);
  }

  record Sample(String name, Map<String, String> labels, double value) {}

  record Samples(List<Sample> all) {

    /** The value of the one sample of {@code name} with these label pairs; null when none. */
    @Nullable Double find(String name, String... pairs) {
      List<Sample> found =
          all.stream()
              .filter(s -> s.name().equals(name))
              .filter(
                  s -> {
                    for (int i = 0; i < pairs.length; i += 2) {
                      if (!pairs[i + 1].equals(s.labels().get(pairs[i]))) {
                        return false;
                      }
                    }
                    return true;
                  })
              .toList();
      assertThat(found).as(name + " " + List.of(pairs)).hasSizeLessThanOrEqualTo(1);
      return found.isEmpty() ? null : found.get(0).value();
    }

    double value(String name, String... pairs) {
      Double v = find(name, pairs);
      assertThat(v).as(name + " " + List.of(pairs) + " in " + all).isNotNull();
      return v;
    }

    List<String> names() {
      return all.stream().map(Sample::name).distinct().toList();
    }
  }
}
