package org.mxtrap.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mxtrap.app.AdminPorts;
import org.mxtrap.config.ConfigLoader;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Contact;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Verdict;
import org.mxtrap.delivery.DeliveryAgent;
import org.mxtrap.delivery.EnhancedStatus;
import org.mxtrap.delivery.MaildirDelivery;
import org.mxtrap.delivery.QueueRunner;
import org.mxtrap.delivery.RecipientResult;
import org.mxtrap.observe.Events;
import org.mxtrap.policy.Arming;
import org.mxtrap.policy.RecentDecisions;
import org.mxtrap.policy.TrapEngine;
import org.mxtrap.queue.Spool;
import org.mxtrap.queue.SpoolFixtures;
import org.mxtrap.state.BoundedContactHistory;
import org.mxtrap.state.FileAvailabilityHistory;
import org.mxtrap.state.SqliteSuppressionStore;
import org.mxtrap.testing.FakeClock;
import org.mxtrap.testing.FakeDns;
import org.mxtrap.testing.FreePorts;
import org.mxtrap.testing.TrapEngines;

/**
 * A real {@link AdminServer} on a free loopback port over a real engine with small real stores and
 * a clock the test moves; requests through the JDK's HTTP client, answers read with a JSON parser.
 */
class AdminServerTest {
  static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
  static final Duration ARM_AFTER = Duration.ofHours(1);

  @TempDir Path dir;
  final FakeClock clock = new FakeClock(T0);
  final HttpClient http = HttpClient.newHttpClient();
  MxtrapConfig config;
  FileAvailabilityHistory availability;
  SqliteSuppressionStore suppressions;
  TrapEngine engine;
  AdminToken token;
  Spool spool;
  QueueRunner runner;
  AdminServer server;
  // What the fake reloader refuses with; null: it applies.
  @Nullable String reloadRefusal;

  @BeforeEach
  void start() throws Exception {
    Path file = dir.resolve("mxtrap.yml");
    Files.writeString(
        file,
        """
        hostname: mail.example.test
        domains: [example.test]
        data_dir: data
        layout:
          - { preference: 10, host: mail.example.test, address: 127.0.0.1, port: 2525, role: primary }
          - { preference: 30, host: mx2.example.test, address: 127.0.0.1, port: 2526, role: trap }
          - { preference: 40, host: mx3.example.test, address: 127.0.0.1, port: 2527, role: trap }
        listen: ["127.0.0.1:2525", "127.0.0.1:2526"]
        trap: { arm_after: 1h, suppress_for: 3h }
        allow: ["203.0.113.0/24"]
        block: ["198.51.100.0/24"]
        """);
    config = ConfigLoader.load(file);
    availability =
        FileAvailabilityHistory.open(dir.resolve("state"), config.layout(), T0, ARM_AFTER);
    availability.up(entry(10), T0);
    suppressions = SqliteSuppressionStore.open(dir.resolve("state/suppressions.sqlite"));
    BoundedContactHistory contacts =
        new BoundedContactHistory(32, 128, 1000, Duration.ofDays(1), 10, 30, 40);
    RecentDecisions recent = new RecentDecisions(100, 10);
    Arming arming = new Arming(config.layout(), availability, ARM_AFTER);
    engine =
        TrapEngines.of(
            config, contacts, suppressions, arming, new FakeDns(), Clock.systemUTC(), recent);
    token = AdminToken.loadOrCreate(dir, new SecureRandom());
    spool = Spool.open(dir.resolve("queue"), clock);
    runner =
        new QueueRunner(
            spool,
            new MaildirDelivery(dir.resolve("mail"), config.hostname(), config.domains()),
            config.queue(),
            clock,
            config.hostname(),
            Events.NONE);
    server =
        new AdminServer(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            token,
            clock,
            AdminPorts.host(
                config,
                now -> "local (test)",
                engine,
                arming,
                suppressions,
                contacts,
                recent,
                Events.NONE,
                spool,
                runner,
                () -> {
                  String refusal = reloadRefusal;
                  if (refusal != null) {
                    throw new Reloader.Refused(refusal);
                  }
                  return new Reloader.Outcome(List.of("allow"), List.of());
                }),
            new DecisionFeed(clock),
            null,
            false);
    server.start();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop();
    }
    http.close();
    runner.close();
    spool.close();
    suppressions.close();
    availability.close();
  }

  LayoutEntry entry(int preference) {
    return config.layout().entries().stream()
        .filter(e -> e.preference() == preference)
        .findFirst()
        .orElseThrow();
  }

  HttpResponse<String> send(String method, String pathAndQuery, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.address().getPort() + pathAndQuery))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> call(String method, String pathAndQuery) throws Exception {
    return send(method, pathAndQuery, "Authorization", token.authorization());
  }

  static JsonObject object(HttpResponse<String> r) {
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    return JsonParser.parseString(r.body()).getAsJsonObject();
  }

  static String error(HttpResponse<String> r) {
    return object(r).get("error").getAsString();
  }

  static Set<String> keys(JsonObject o) {
    return new HashSet<>(o.keySet());
  }

  // --- authentication -------------------------------------------------------------------------

  @Test
  void withoutTheTokenEveryPathIs401WithABearerChallenge() throws Exception {
    for (String path : new String[] {"/status", "/suppressions", "/explain", "/nowhere"}) {
      HttpResponse<String> r = send("GET", path);
      assertThat(r.statusCode()).as(path).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
      assertThat(error(r)).contains("Authorization: Bearer");
    }
  }

  @Test
  void aWrongTokenOrSchemeIs401AndChangesNothing() throws Exception {
    String secret = token.authorization().substring("Bearer ".length());
    for (String auth :
        new String[] {"Bearer wrong", "Bearer " + secret + "x", "Basic " + secret, secret}) {
      HttpResponse<String> r =
          send("POST", "/suppressions?address=192.0.2.1", "Authorization", auth);
      assertThat(r.statusCode()).as(auth).isEqualTo(401);
    }
    assertThat(suppressions.active(clock.instant())).isEmpty();
  }

  // --- routing --------------------------------------------------------------------------------

  @Test
  void metricsOffIs404SayingSoAndStillNeedsTheToken() throws Exception {
    assertThat(send("GET", "/metrics").statusCode()).isEqualTo(401);
    HttpResponse<String> off = call("GET", "/metrics");
    assertThat(off.statusCode()).isEqualTo(404);
    assertThat(error(off)).contains("admin.metrics: false");
  }

  @Test
  void anUnknownPathIs404AndAWrongMethod405WithAllow() throws Exception {
    HttpResponse<String> missing = call("GET", "/queue");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(error(missing)).contains("/queue").contains("/status");

    HttpResponse<String> put = call("PUT", "/suppressions?address=192.0.2.1");
    assertThat(put.statusCode()).isEqualTo(405);
    assertThat(put.headers().firstValue("Allow")).hasValue("GET, POST, DELETE");
    assertThat(error(put)).contains("PUT");

    HttpResponse<String> post = call("POST", "/status");
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).hasValue("GET");
  }

  // --- status ---------------------------------------------------------------------------------

  @Test
  void statusListsListenersTrapsWithTheirArmingAndCounters() throws Exception {
    engine.connect(new Contact(InetAddress.getByName("192.0.2.5"), addr(2526), entry(30), T0));

    JsonObject s = object(call("GET", "/status"));
    assertThat(s.get("hostname").getAsString()).isEqualTo("mail.example.test");
    assertThat(s.get("time").getAsString()).isEqualTo(T0.toString());

    JsonArray listeners = s.getAsJsonArray("listeners");
    assertThat(listeners).hasSize(2); // MX 40 is in the layout but not served here
    JsonObject primary = listeners.get(0).getAsJsonObject();
    assertThat(keys(primary)).containsExactlyInAnyOrder("address", "preference", "host", "role");
    assertThat(primary.get("address").getAsString()).isEqualTo("127.0.0.1:2525");
    assertThat(primary.get("preference").getAsInt()).isEqualTo(10);
    assertThat(primary.get("role").getAsString()).isEqualTo("primary");

    assertThat(s.get("state").getAsString()).isEqualTo("local (test)");
    JsonArray traps = s.getAsJsonArray("traps");
    assertThat(traps).hasSize(2);
    JsonObject mx30 = traps.get(0).getAsJsonObject();
    assertThat(mx30.get("preference").getAsInt()).isEqualTo(30);
    assertThat(mx30.get("armed").getAsBoolean()).isFalse();
    assertThat(mx30.get("why").getAsString()).contains("availability history starts at " + T0);
    assertThat(mx30.get("arms_at").getAsString()).isEqualTo(T0.plus(ARM_AFTER).toString());

    JsonObject counters = s.getAsJsonObject("counters");
    JsonObject decisions = counters.getAsJsonObject("decisions");
    for (Verdict v : Verdict.values()) {
      assertThat(decisions.has(v.label())).as(v.label()).isTrue();
    }
    assertThat(decisions.get("disarmed").getAsLong()).isEqualTo(1);
    assertThat(counters.get("suppressions_active").getAsInt()).isZero();
    assertThat(counters.get("contact_evictions").getAsLong()).isZero();

    clock.advance(ARM_AFTER.plusSeconds(1));
    JsonObject later =
        object(call("GET", "/status")).getAsJsonArray("traps").get(0).getAsJsonObject();
    assertThat(later.get("armed").getAsBoolean()).isTrue();
    assertThat(later.get("arms_at").isJsonNull()).isTrue();
  }

  @Test
  void statusAsTextSaysWhichTrapIsDisarmedAndWhy() throws Exception {
    HttpResponse<String> r =
        send("GET", "/status", "Authorization", token.authorization(), "Accept", "text/plain");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
    assertThat(r.body())
        .contains("MX 30 mx2.example.test 127.0.0.1:2526 trap: disarmed: availability history")
        .contains("arms at " + T0.plus(ARM_AFTER))
        .contains("active suppressions: 0");
  }

  private static InetSocketAddress addr(int port) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  // --- suppressions ---------------------------------------------------------------------------

  @Test
  void addListAndRemoveASuppression() throws Exception {
    HttpResponse<String> added =
        call("POST", "/suppressions?address=192.0.2.77&for=2h&reason=test%20run");
    assertThat(added.statusCode()).isEqualTo(201);
    JsonObject s = object(added);
    assertThat(keys(s))
        .containsExactlyInAnyOrder("address", "since", "until", "reason", "offences", "evidence");
    assertThat(s.get("address").getAsString()).isEqualTo("192.0.2.77");
    assertThat(s.get("since").getAsString()).isEqualTo(T0.toString());
    assertThat(s.get("until").getAsString()).isEqualTo(T0.plus(Duration.ofHours(2)).toString());
    assertThat(s.get("reason").getAsString()).isEqualTo("manual");
    assertThat(s.get("offences").getAsInt()).isEqualTo(1);
    assertThat(s.get("evidence").getAsString()).isEqualTo("added through the admin API: test run");
    assertThat(suppressions.find(InetAddress.getByName("192.0.2.77"), T0)).isPresent();

    JsonArray list = JsonParser.parseString(call("GET", "/suppressions").body()).getAsJsonArray();
    assertThat(list).hasSize(1);
    assertThat(list.get(0)).isEqualTo(s);

    HttpResponse<String> removed = call("DELETE", "/suppressions?address=192.0.2.77");
    assertThat(removed.statusCode()).isEqualTo(200);
    assertThat(object(removed).get("removed").getAsBoolean()).isTrue();
    assertThat(JsonParser.parseString(call("GET", "/suppressions").body()).getAsJsonArray())
        .isEmpty();

    HttpResponse<String> again = call("DELETE", "/suppressions?address=192.0.2.77");
    assertThat(again.statusCode()).isEqualTo(404);
    assertThat(error(again)).isEqualTo("192.0.2.77 is not suppressed");
  }

  @Test
  void aPrefixIsPrintedAsCidrAndTheDefaultsComeFromTheConfig() throws Exception {
    JsonObject s = object(call("POST", "/suppressions?address=2001:db8::/48"));
    assertThat(s.get("address").getAsString()).isEqualTo("2001:db8::/48");
    assertThat(s.get("until").getAsString()).isEqualTo(T0.plus(Duration.ofHours(3)).toString());
    assertThat(s.get("reason").getAsString()).isEqualTo("manual");

    HttpResponse<String> inside = call("DELETE", "/suppressions?address=2001:db8::1");
    assertThat(inside.statusCode()).isEqualTo(404);
    assertThat(error(inside))
        .isEqualTo("2001:db8::1 is not suppressed itself; 2001:db8::/48 covers it");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          POST   | /suppressions                                  | missing parameter address
          POST   | /suppressions?address=192.0.2.300              | not a CIDR prefix: 192.0.2.300
          POST   | /suppressions?address=192.0.2.1/24             | host bits set
          POST   | /suppressions?address=example.com              | not a CIDR prefix
          POST   | /suppressions?address=192.0.2.1&for=30         | duration without a unit
          POST   | /suppressions?address=192.0.2.1&for=0s         | for: must be longer than 0s
          POST   | /suppressions?address=192.0.2.1&for=soon       | not a duration
          POST   | /suppressions?address=192.0.2.1&for=36501d     | for: duration too large: 36501d; at most 36500d
          POST   | /suppressions?address=192.0.2.1&for=110000000000d | for: duration too large
          POST   | /suppressions?address=0.0.0.0/0                | address: 0.0.0.0/0 is wider than /8, the widest IPv4 prefix a suppression may cover (it would refuse everyone in it, loopback and the operator included); refuse whole networks with the block list in the config
          POST   | /suppressions?address=10.0.0.0/7               | address: 10.0.0.0/7 is wider than /8
          POST   | /suppressions?address=::ffff:0.0.0.0/96        | address: 0.0.0.0/0 is wider than /8
          POST   | /suppressions?address=::/0                     | address: ::/0 is wider than /32, the widest IPv6 prefix
          POST   | /suppressions?address=2001:db8::/31            | address: 2001:db8::/31 is wider than /32
          POST   | /suppressions?address=192.0.2.1&reason=        | reason: 1 to 200 characters
          POST   | /suppressions?address=192.0.2.1&reason=a%0Ab   | no control characters
          POST   | /suppressions?address=192.0.2.1&duration=2h    | unknown parameter duration
          POST   | /suppressions?address=1.2.3.4&address=1.2.3.5  | parameter address given twice
          GET    | /explain?address=192.0.2.0/24                  | not an IP address
          GET    | /explain                                       | missing parameter address
          GET    | /status?verbose=1                              | unknown parameter verbose
          """)
  void badInputIs400WithAMessage(String method, String pathAndQuery, String message)
      throws Exception {
    HttpResponse<String> r = call(method, pathAndQuery);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(error(r)).contains(message);
    assertThat(suppressions.active(clock.instant())).isEmpty();
  }

  @Test
  void theWidestPrefixesASuppressionMayCoverAreASlash8AndASlash32() throws Exception {
    assertThat(call("POST", "/suppressions?address=10.0.0.0/8").statusCode()).isEqualTo(201);
    assertThat(call("POST", "/suppressions?address=2001:db8::/32").statusCode()).isEqualTo(201);
    assertThat(suppressions.active(clock.instant())).hasSize(2);
  }

  @Test
  void aTooWidePrefixStoredBeforeTheLimitCanStillBeRemoved() throws Exception {
    suppressions.add(Cidr.parse("0.0.0.0/0"), T0, Duration.ofHours(1), "manual", "an old mistake");
    HttpResponse<String> removed = call("DELETE", "/suppressions?address=0.0.0.0/0");
    assertThat(removed.statusCode()).isEqualTo(200);
    assertThat(suppressions.active(T0)).isEmpty();
  }

  // --- dictionary -----------------------------------------------------------------------------

  @Test
  void aDictionaryDecisionIsCountedAndExplainedUnderItsOwnVerdict() throws Exception {
    InetAddress client = InetAddress.getByName("192.0.2.44");
    engine.dictionary(new Contact(client, addr(2525), entry(10), T0), 10);

    JsonObject decisions =
        object(call("GET", "/status")).getAsJsonObject("counters").getAsJsonObject("decisions");
    assertThat(decisions.get("dictionary").getAsLong()).isEqualTo(1);

    JsonObject active =
        JsonParser.parseString(call("GET", "/suppressions").body())
            .getAsJsonArray()
            .get(0)
            .getAsJsonObject();
    assertThat(active.get("address").getAsString()).isEqualTo("192.0.2.44");
    assertThat(active.get("reason").getAsString()).isEqualTo("dictionary");
    assertThat(active.get("until").getAsString())
        .isEqualTo(T0.plus(Duration.ofHours(3)).toString());

    JsonObject e = object(call("GET", "/explain?address=192.0.2.44"));
    JsonObject recent = e.getAsJsonArray("recent_decisions").get(0).getAsJsonObject();
    assertThat(recent.get("verdict").getAsString()).isEqualTo("dictionary");
    assertThat(recent.get("action").getAsString()).isEqualTo("tempfail");
    assertThat(recent.get("reason").getAsString())
        .startsWith("10 unknown recipients in one session on MX 10 mail.example.test");
    assertThat(e.getAsJsonObject("suppression").get("reason").getAsString())
        .isEqualTo("dictionary");
  }

  // --- explain --------------------------------------------------------------------------------

  @Test
  void explainTellsEverythingKnownAboutAnAddress() throws Exception {
    InetAddress client = InetAddress.getByName("192.0.2.9");
    clock.advance(ARM_AFTER.plusSeconds(1));
    Instant hit = clock.instant();
    engine.connect(new Contact(client, addr(2527), entry(40), hit)); // an armed trap: mx-skip
    clock.advance(Duration.ofMinutes(1));
    engine.connect(new Contact(client, addr(2525), entry(10), clock.instant())); // suppressed

    JsonObject e = object(call("GET", "/explain?address=192.0.2.9"));
    assertThat(keys(e))
        .containsExactlyInAnyOrder(
            "address",
            "time",
            "allowed_by",
            "blocked_by",
            "suppression",
            "history",
            "contacts",
            "recent_decisions",
            "would_decide");
    assertThat(e.get("address").getAsString()).isEqualTo("192.0.2.9");
    assertThat(e.get("allowed_by").isJsonNull()).isTrue();
    assertThat(e.get("blocked_by").isJsonNull()).isTrue();

    JsonObject s = e.getAsJsonObject("suppression");
    assertThat(s.get("reason").getAsString()).isEqualTo("mx-skip");
    assertThat(s.get("until").getAsString()).isEqualTo(hit.plus(Duration.ofHours(3)).toString());
    assertThat(e.getAsJsonArray("history")).containsExactly(s);

    JsonArray contacts = e.getAsJsonArray("contacts");
    assertThat(contacts).hasSize(2);
    assertThat(contacts.get(0).getAsJsonObject().get("preference").getAsInt()).isEqualTo(10);
    assertThat(contacts.get(1).getAsJsonObject().get("at").getAsString()).isEqualTo(hit.toString());

    JsonArray recent = e.getAsJsonArray("recent_decisions");
    assertThat(recent).hasSize(2);
    JsonObject first = recent.get(0).getAsJsonObject();
    assertThat(keys(first))
        .containsExactlyInAnyOrder(
            "ts", "local", "preference", "role", "verdict", "action", "reason", "until");
    assertThat(first.get("ts").getAsString()).isEqualTo(hit.toString());
    assertThat(first.get("local").getAsString()).isEqualTo("127.0.0.1:2527");
    assertThat(first.get("preference").getAsInt()).isEqualTo(40);
    assertThat(first.get("role").getAsString()).isEqualTo("trap");
    assertThat(first.get("verdict").getAsString()).isEqualTo("mx-skip");
    assertThat(first.get("action").getAsString()).isEqualTo("tempfail");
    assertThat(first.get("until").getAsString()).isEqualTo(s.get("until").getAsString());
    assertThat(recent.get(1).getAsJsonObject().get("verdict").getAsString())
        .isEqualTo("suppressed");

    JsonArray would = e.getAsJsonArray("would_decide");
    assertThat(would).hasSize(3);
    for (JsonElement w : would) {
      assertThat(w.getAsJsonObject().get("verdict").getAsString()).isEqualTo("suppressed");
    }
    assertThat(would.get(2).getAsJsonObject().get("address").getAsString())
        .isEqualTo("127.0.0.1:2527");
  }

  @Test
  void explainHasNoSideEffects() throws Exception {
    clock.advance(ARM_AFTER.plusSeconds(1));
    JsonObject e = object(call("GET", "/explain?address=192.0.2.10"));
    JsonObject trap = e.getAsJsonArray("would_decide").get(1).getAsJsonObject();
    assertThat(trap.get("verdict").getAsString()).isEqualTo("mx-skip");
    assertThat(trap.get("reason").getAsString()).contains("(would be suppressed)");
    assertThat(e.get("suppression").isJsonNull()).isTrue();
    assertThat(e.getAsJsonArray("contacts")).isEmpty();
    assertThat(e.getAsJsonArray("recent_decisions")).isEmpty();
    assertThat(suppressions.active(clock.instant())).isEmpty();
  }

  @Test
  void explainNamesAllowAndBlockListMatches() throws Exception {
    JsonObject allowed = object(call("GET", "/explain?address=203.0.113.9"));
    assertThat(allowed.get("allowed_by").getAsString()).isEqualTo("203.0.113.0/24");
    JsonObject blocked = object(call("GET", "/explain?address=198.51.100.9"));
    assertThat(blocked.get("blocked_by").getAsString()).isEqualTo("198.51.100.0/24");
    assertThat(
            blocked
                .getAsJsonArray("would_decide")
                .get(0)
                .getAsJsonObject()
                .get("verdict")
                .getAsString())
        .isEqualTo("blocked");
  }

  @Test
  void explainAsTextIsAReport() throws Exception {
    call("POST", "/suppressions?address=192.0.2.77&for=2h&reason=test");
    HttpResponse<String> r =
        send(
            "GET",
            "/explain?address=192.0.2.77",
            "Authorization",
            token.authorization(),
            "Accept",
            "text/plain");
    assertThat(r.body())
        .startsWith("192.0.2.77 at " + T0)
        .contains("allow list: no match")
        .contains(
            "suppression: 192.0.2.77 until "
                + T0.plus(Duration.ofHours(2))
                + " (manual, offence 1, since "
                + T0
                + "): added through the admin API: test")
        .contains("recent decisions, oldest first: none")
        .contains("MX 10 mail.example.test 127.0.0.1:2525 primary: suppressed, tempfail:");
  }

  // --- the CLI's client -----------------------------------------------------------------------

  /** {@link AdminClient} against this server, with a config whose admin.bind is its address. */
  // --- queue --------------------------------------------------------------------------------

  /**
   * The queue endpoints over the real spool and runner of the setup: a Maildir that cannot be
   * written (its directory is a file) defers its recipient, as a full or broken disk would.
   */
  @Nested
  class QueueEndpoints {
    static final String CONTENT = "Subject: queued\r\n\r\nHello.\r\n";

    String id;

    @BeforeEach
    void queueAMessageWithOneRecipientDeferred() throws Exception {
      Path blocked = dir.resolve("mail/example.test/blocked");
      Files.createDirectories(blocked.getParent());
      Files.writeString(blocked, "not a Maildir");
      id =
          SpoolFixtures.enqueue(
              spool,
              SpoolFixtures.envelope(
                  "sender@client.test", "bob@example.test", "blocked@example.test"),
              SpoolFixtures.trace(),
              CONTENT);
      assertThat(runner.runDue()).isEqualTo(1);
    }

    JsonObject recipient(JsonObject message, int i) {
      return message.getAsJsonArray("recipients").get(i).getAsJsonObject();
    }

    @Test
    void listShowsEachRecipientWithItsAttemptsNextAttemptAndLastError() throws Exception {
      HttpResponse<String> r = call("GET", "/queue/messages");
      assertThat(r.statusCode()).isEqualTo(200);
      JsonArray list = JsonParser.parseString(r.body()).getAsJsonArray();
      assertThat(list).hasSize(1);
      JsonObject m = list.get(0).getAsJsonObject();
      assertThat(keys(m))
          .containsExactlyInAnyOrder("id", "sender", "arrived", "size", "client", "recipients");
      assertThat(m.get("id").getAsString()).isEqualTo(id);
      assertThat(m.get("sender").getAsString()).isEqualTo("sender@client.test");
      assertThat(m.get("arrived").getAsString()).isEqualTo(T0.toString());
      assertThat(m.get("size").getAsLong()).isEqualTo(CONTENT.length());
      assertThat(m.get("client").getAsString()).isEqualTo("192.0.2.7");

      JsonObject bob = recipient(m, 0);
      assertThat(keys(bob))
          .containsExactlyInAnyOrder("address", "status", "attempts", "next_attempt", "last_error");
      assertThat(bob.get("address").getAsString()).isEqualTo("bob@example.test");
      assertThat(bob.get("status").getAsString()).isEqualTo("delivered");
      assertThat(bob.get("attempts").getAsInt()).isEqualTo(1);
      assertThat(bob.get("next_attempt").isJsonNull()).isTrue();
      assertThat(bob.get("last_error").isJsonNull()).isTrue();

      JsonObject blocked = recipient(m, 1);
      assertThat(blocked.get("status").getAsString()).isEqualTo("deferred");
      assertThat(blocked.get("attempts").getAsInt()).isEqualTo(1);
      assertThat(blocked.get("next_attempt").getAsString())
          .isEqualTo(T0.plus(config.queue().minBackoff()).toString());
      assertThat(blocked.get("last_error").getAsString()).startsWith("4.3.0 cannot write maildir");
    }

    @Test
    void listAsTextIsOneBlockPerMessageAndATotal() throws Exception {
      HttpResponse<String> r =
          send(
              "GET",
              "/queue/messages",
              "Authorization",
              token.authorization(),
              "Accept",
              "text/plain");
      Instant next = T0.plus(config.queue().minBackoff());
      assertThat(r.body())
          .startsWith(
              id
                  + "  "
                  + CONTENT.length()
                  + " bytes  arrived "
                  + T0
                  + "  from <sender@client.test> (192.0.2.7)\n"
                  + "  <bob@example.test>: delivered\n"
                  + "  <blocked@example.test>: deferred, 1 attempt, next "
                  + next
                  + ": 4.3.0 cannot write maildir ")
          .endsWith("\n\n1 message, " + CONTENT.length() + " bytes\n");
    }

    @Test
    void showGivesOneMessageAndTellsAMalformedIdFromAnUnknownOne() throws Exception {
      JsonObject m = object(call("GET", "/queue/messages/" + id));
      assertThat(m.get("id").getAsString()).isEqualTo(id);
      assertThat(m.getAsJsonArray("recipients")).hasSize(2);

      HttpResponse<String> unknown = call("GET", "/queue/messages/0000000000000");
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(error(unknown)).contains("no message 0000000000000 in the queue");

      for (String bad : new String[] {"nope", "", id + "0", id.toLowerCase(Locale.ROOT)}) {
        HttpResponse<String> malformed = call("GET", "/queue/messages/" + bad);
        assertThat(malformed.statusCode()).as(bad).isEqualTo(400);
        assertThat(error(malformed)).isEqualTo("not a queue ID: " + bad);
      }
      assertThat(call("DELETE", "/queue/messages/nope").statusCode()).isEqualTo(400);
      HttpResponse<String> put = call("PUT", "/queue/messages/" + id);
      assertThat(put.statusCode()).isEqualTo(405);
      assertThat(put.headers().firstValue("Allow")).hasValue("GET, DELETE");
      assertThat(call("GET", "/queue/flush").statusCode()).isEqualTo(405);
    }

    @Test
    void reloadAnswersWhatTheHostApplied() throws Exception {
      HttpResponse<String> r = call("POST", "/reload");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(object(r).get("applied").getAsJsonArray().get(0).getAsString()).isEqualTo("allow");
      assertThat(object(r).get("need_restart").getAsJsonArray()).isEmpty();
      assertThat(call("GET", "/reload").statusCode()).isEqualTo(405);
    }

    @Test
    void aRefusedReloadIs400WithTheFilesProblems() throws Exception {
      reloadRefusal = "/etc/mxtrap/mxtrap.yml:3: trap.window: not a duration: 1x";
      HttpResponse<String> r = call("POST", "/reload");
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(error(r))
          .startsWith("reload refused, the running config stays:")
          .contains("mxtrap.yml:3: trap.window: not a duration: 1x");
    }

    @Test
    void flushMakesTheRunnerAttemptNow() throws Exception {
      assertThat(runner.runDue()).as("not due before its backoff").isZero();

      HttpResponse<String> r = call("POST", "/queue/flush");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(object(r).get("flushed").getAsInt()).isEqualTo(1);
      assertThat(runner.runDue()).isEqualTo(1);

      JsonObject blocked = recipient(object(call("GET", "/queue/messages/" + id)), 1);
      assertThat(blocked.get("attempts").getAsInt()).isEqualTo(2);
      // The clock stood still: the backoff after a second attempt is twice the first.
      assertThat(blocked.get("next_attempt").getAsString())
          .isEqualTo(T0.plus(config.queue().minBackoff().multipliedBy(2)).toString());
    }

    @Test
    void deleteRemovesTheMessageForGoodWithoutADsn() throws Exception {
      HttpResponse<String> r = call("DELETE", "/queue/messages/" + id);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(object(r).get("deleted").getAsBoolean()).isTrue();

      assertThat(spool.list()).isEmpty();
      assertThat(dir.resolve("queue/state")).isEmptyDirectory();
      assertThat(call("GET", "/queue/messages").body()).isEqualTo("[]\n");
      assertThat(call("GET", "/queue/messages/" + id).statusCode()).isEqualTo(404);
      assertThat(call("DELETE", "/queue/messages/" + id).statusCode()).isEqualTo(404);
      clock.advance(Duration.ofDays(1));
      assertThat(runner.runDue()).as("nothing left to try, and no DSN queued").isZero();
    }

    @Test
    void aMessageDeletedDuringAnAttemptIsGoneAndTheAttemptRecordsNothing() throws Exception {
      DeliveryAgent deletingMidway =
          d -> {
            try {
              assertThat(call("DELETE", "/queue/messages/" + d.queueId()).statusCode())
                  .isEqualTo(200);
            } catch (Exception e) {
              throw new AssertionError(e);
            }
            return d.recipients().stream()
                .map(
                    rcpt ->
                        (RecipientResult)
                            new RecipientResult.Failed(
                                rcpt, "test", EnhancedStatus.BAD_MAILBOX, "no such user"))
                .toList();
          };
      try (QueueRunner other =
          new QueueRunner(
              spool, deletingMidway, config.queue(), clock, config.hostname(), Events.NONE)) {
        clock.advance(config.queue().minBackoff());
        assertThat(other.runDue()).isEqualTo(1);
      }
      assertThat(spool.list()).as("no DSN for the failure either").isEmpty();
      assertThat(dir.resolve("queue/state")).isEmptyDirectory();
      assertThat(dir.resolve("queue/active")).isEmptyDirectory();
    }
  }

  @Nested
  class Client {
    Path clientDataDir;

    @BeforeEach
    void createDataDir() throws Exception {
      clientDataDir = Files.createDirectories(dir.resolve("client-data"));
    }

    AdminClient client(int port) throws Exception {
      Path file = dir.resolve("client.yml");
      Files.writeString(
          file,
          """
          domains: [example.test]
          data_dir: client-data
          layout:
            - { preference: 10, host: mail.example.test, address: 127.0.0.1, port: 2525, role: primary }
          listen: ["127.0.0.1:2525"]
          admin: { bind: "127.0.0.1:%d" }
          """
              .formatted(port));
      MxtrapConfig c = ConfigLoader.load(file);
      return AdminClient.of(c.admin().bind(), c.dataDir(), file.toString());
    }

    void giveToken(String authorization) throws Exception {
      Files.writeString(
          clientDataDir.resolve(AdminToken.FILE), authorization.substring("Bearer ".length()));
    }

    @Test
    void withTheServersTokenItGetsTheAnswerInEitherForm() throws Exception {
      giveToken(token.authorization());
      AdminClient c = client(server.address().getPort());
      assertThat(c.call("GET", "/status", false)).startsWith("mxtrap on mail.example.test");
      assertThat(JsonParser.parseString(c.call("GET", "/suppressions", true)).isJsonArray())
          .isTrue();
      assertThat(
              c.call("POST", "/suppressions?" + AdminClient.param("address", "2001:db8::7"), false))
          .startsWith("suppressed 2001:db8::7 until ");
    }

    @Test
    void anErrorAnswerBecomesAFailureWithTheServersMessage() throws Exception {
      giveToken(token.authorization());
      AdminClient c = client(server.address().getPort());
      assertThatThrownBy(() -> c.call("DELETE", "/suppressions?address=192.0.2.1", false))
          .isInstanceOf(AdminClient.Failure.class)
          .hasMessage("mxtrap answered 404: 192.0.2.1 is not suppressed");
    }

    @Test
    void aTooWidePrefixIsRefusedWithTheServersReason() throws Exception {
      giveToken(token.authorization());
      AdminClient c = client(server.address().getPort());
      assertThatThrownBy(
              () -> c.call("POST", "/suppressions?" + AdminClient.param("address", "::/0"), false))
          .isInstanceOf(AdminClient.Failure.class)
          .hasMessageStartingWith("mxtrap answered 400: address: ::/0 is wider than /32");
    }

    @Test
    void theCliPrintsTheRefusalOfATooWidePrefixAndExits1() throws Exception {
      giveToken(token.authorization());
      client(server.address().getPort());
      java.io.StringWriter err = new java.io.StringWriter();
      picocli.CommandLine cli = org.mxtrap.app.Cli.commandLine();
      cli.setErr(new java.io.PrintWriter(err));
      int exit =
          cli.execute(
              "suppressions", "add", "0.0.0.0/0", "--config", dir.resolve("client.yml").toString());
      assertThat(exit).isEqualTo(1);
      assertThat(err.toString())
          .startsWith("mxtrap answered 400: address: 0.0.0.0/0 is wider than /8");
      assertThat(suppressions.active(clock.instant())).isEmpty();
    }

    @Test
    void theCliRefusesAnAbsurdDurationBeforeAsking() throws Exception {
      java.io.StringWriter err = new java.io.StringWriter();
      picocli.CommandLine cli = org.mxtrap.app.Cli.commandLine();
      cli.setErr(new java.io.PrintWriter(err));
      int exit =
          cli.execute(
              "suppressions",
              "add",
              "192.0.2.1",
              "--for",
              "110000000000d",
              "--config",
              dir.resolve("nowhere.yml").toString());
      assertThat(exit).isEqualTo(2);
      assertThat(err.toString())
          .isEqualTo(
              "--for: duration too large: 110000000000d; at most 36500d" + System.lineSeparator());
    }

    @Test
    void nothingListeningIsNotRunning() throws Exception {
      int port = FreePorts.next();
      AdminClient c = client(port);
      assertThatThrownBy(() -> c.call("GET", "/status", false))
          .isInstanceOf(AdminClient.Failure.class)
          .hasMessage(
              "mxtrap is not running: nothing answers on 127.0.0.1:"
                  + port
                  + " (admin.bind of "
                  + dir.resolve("client.yml")
                  + ")");
    }

    @Test
    void aRunningServerButNoTokenFileSaysWhere() throws Exception {
      AdminClient c = client(server.address().getPort());
      assertThatThrownBy(() -> c.call("GET", "/status", false))
          .isInstanceOf(AdminClient.Failure.class)
          .hasMessage(
              "no admin token in "
                  + clientDataDir.resolve("admin.token")
                  + ": has mxtrap serve run with this data_dir?");
    }

    @Test
    void anotherServersTokenIsRefused() throws Exception {
      giveToken("Bearer not-this-one");
      AdminClient c = client(server.address().getPort());
      assertThatThrownBy(() -> c.call("GET", "/status", false))
          .isInstanceOf(AdminClient.Failure.class)
          .hasMessageContaining("refused the token in " + clientDataDir.resolve("admin.token"));
    }
  }

  @Test
  void errorMessageReadsTheErrorBodyAndShowsAnythingElseAsItCame() {
    assertThat(AdminClient.errorMessage("{\"error\":\"a \\\"quoted\\\" word\"}\n"))
        .isEqualTo("a \"quoted\" word");
    assertThat(AdminClient.errorMessage("<html>proxy error</html>"))
        .isEqualTo("<html>proxy error</html>");
  }
}
