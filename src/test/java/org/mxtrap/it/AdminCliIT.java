package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API and the CLI commands that use it, as an administrator meets them: the packaged
 * server, and the packaged CLI run as a separate process against its config.
 */
class AdminCliIT extends ServerPerClass {
  static final Duration CLI = Duration.ofSeconds(60);

  Path config;

  @BeforeAll
  void awaitAdminApi() throws Exception {
    config = layout.dir.resolve("mxtrap.yml");
    // The API starts right after the SMTP listeners that MxtrapProcess waited for.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), layout.admin)) {
        return;
      } catch (ConnectException notYet) {
        assertThat(System.nanoTime()).as("admin API listening").isLessThan(deadline);
        Thread.sleep(20); // polls a condition; orders nothing
      }
    }
  }

  MxtrapProcess.Result mxtrap(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--config");
    all.add(config.toString());
    return MxtrapProcess.run(CLI, all.toArray(String[]::new));
  }

  static String greeting(int port, int client) throws Exception {
    try (RawSmtp c =
        new RawSmtp(
            InetAddress.getLoopbackAddress(), port, InetAddress.getByName("127.0.0." + client))) {
      String g = c.reply();
      if (g != null && g.startsWith("220")) {
        c.command("QUIT");
        c.closedByServer(); // the server releases the connection's permit before it closes
      }
      return g;
    }
  }

  @Test
  void theApiRefusesARequestWithoutTheToken() throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + layout.admin + "/status"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
      assertThat(JsonParser.parseString(r.body()).getAsJsonObject().get("error").getAsString())
          .contains("Bearer");
    }
  }

  /**
   * Why a trap of a fresh install is disarmed: its history is younger than {@code arm_after}, or,
   * as Arming says since it counts the outages inside a young history, the primary was not observed
   * between the start of the history and the first heartbeat (which then arms later).
   */
  private static final String FRESH_INSTALL =
      "(availability history starts at \\S+; arming needs 1d of it|MX 10 \\(primary\\) was"
          + " unavailable from \\S+ to \\S+ \\(not observed yet \\(new history\\)\\))";

  @Test
  void statusOnAFreshInstallShowsTheTrapsDisarmedAndWhy() throws Exception {
    MxtrapProcess.Result text = mxtrap("status");
    assertThat(text.exitCode()).as(text.output()).isZero();
    assertThat(text.output())
        .contains("127.0.0.1:" + layout.primary + " primary")
        .containsPattern(
            "MX 30 mx2\\.example\\.test 127\\.0\\.0\\.1:"
                + layout.trap30
                + " trap: disarmed: "
                + FRESH_INSTALL
                + "; arms at \\S+");

    MxtrapProcess.Result json = mxtrap("status", "--json");
    assertThat(json.exitCode()).as(json.output()).isZero();
    JsonObject status = JsonParser.parseString(json.output()).getAsJsonObject();
    assertThat(status.getAsJsonArray("listeners")).hasSize(3);
    JsonArray traps = status.getAsJsonArray("traps");
    assertThat(traps).hasSize(2);
    for (JsonElement t : traps) {
      assertThat(t.getAsJsonObject().get("armed").getAsBoolean()).isFalse();
      assertThat(t.getAsJsonObject().get("why").getAsString()).containsPattern(FRESH_INSTALL);
      assertThat(t.getAsJsonObject().get("arms_at").isJsonNull()).isFalse();
    }
    assertThat(status.getAsJsonObject("counters").has("suppressions_active")).isTrue();
  }

  @Test
  void aSuppressionAddedWithTheCliIsListedExplainedEnforcedAndRemoved() throws Exception {
    MxtrapProcess.Result add =
        mxtrap("suppressions", "add", "192.0.2.77", "--for", "2h", "--reason", "test");
    assertThat(add.exitCode()).as(add.output()).isZero();
    assertThat(add.output()).startsWith("suppressed 192.0.2.77 until ");

    MxtrapProcess.Result list = mxtrap("suppressions", "list", "--json");
    assertThat(list.exitCode()).as(list.output()).isZero();
    JsonObject s = null;
    for (JsonElement e : JsonParser.parseString(list.output()).getAsJsonArray()) {
      if (e.getAsJsonObject().get("address").getAsString().equals("192.0.2.77")) {
        s = e.getAsJsonObject();
      }
    }
    assertThat(s).as(list.output()).isNotNull();
    Instant since = Instant.parse(s.get("since").getAsString());
    Instant until = Instant.parse(s.get("until").getAsString());
    assertThat(Duration.between(since, until)).isEqualTo(Duration.ofHours(2));
    assertThat(s.get("reason").getAsString()).isEqualTo("manual");
    assertThat(s.get("offences").getAsInt()).isEqualTo(1);

    MxtrapProcess.Result explain = mxtrap("explain", "192.0.2.77");
    assertThat(explain.exitCode()).as(explain.output()).isZero();
    assertThat(explain.output())
        .contains("suppression: 192.0.2.77 until " + until)
        .contains("added through the admin API: test");

    // A client we can really connect from: refused on the primary while suppressed.
    assertThat(greeting(layout.primary, 78)).startsWith("220 ");
    assertThat(mxtrap("suppressions", "add", "127.0.0.78").exitCode()).isZero();
    assertThat(greeting(layout.primary, 78)).startsWith("421 4.7.1 ");
    assertThat(greeting(layout.primary, 79)).as("others are served").startsWith("220 ");

    MxtrapProcess.Result remove = mxtrap("suppressions", "remove", "127.0.0.78");
    assertThat(remove.exitCode()).as(remove.output()).isZero();
    assertThat(remove.output()).contains("removed the suppression of 127.0.0.78");
    assertThat(greeting(layout.primary, 78)).startsWith("220 ");

    MxtrapProcess.Result again = mxtrap("suppressions", "remove", "127.0.0.78");
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.output()).contains("127.0.0.78 is not suppressed");
  }

  @Test
  void badArgumentsAreUsageErrors() throws Exception {
    MxtrapProcess.Result ip = mxtrap("explain", "mail.example.test");
    assertThat(ip.exitCode()).isEqualTo(2);
    assertThat(ip.output()).contains("not an IP address: mail.example.test");
    MxtrapProcess.Result duration = mxtrap("suppressions", "add", "192.0.2.1", "--for", "30");
    assertThat(duration.exitCode()).isEqualTo(2);
    assertThat(duration.output()).contains("duration without a unit");
    assertThat(mxtrap("suppressions").exitCode()).isEqualTo(2);
  }

  @Test
  void withoutARunningServerTheCliSaysSo(@TempDir Path elsewhere) throws Exception {
    TestLayout idle = new TestLayout(elsewhere);
    Path idleConfig = idle.write();
    MxtrapProcess.Result r =
        MxtrapProcess.run(CLI, "suppressions", "list", "--config", idleConfig.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.output())
        .contains(
            "mxtrap is not running: nothing answers on 127.0.0.1:"
                + idle.admin
                + " (admin.bind of "
                + idleConfig
                + ")");
  }
}
