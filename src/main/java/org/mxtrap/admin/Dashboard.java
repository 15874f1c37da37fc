package org.mxtrap.admin;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.mxtrap.observe.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's routes on the admin server ({@link AdminServer} calls it; the data the page shows
 * comes from the API's own endpoints):
 *
 * <pre>
 * open:       GET /                   the sign-in page, or the dashboard with a live session
 *             GET /assets/NAME        the page's script and style, and uPlot's, from the jar
 *             POST /session           form field token: right, 303 to / with the session cookie;
 *                                     wrong, 401 and the sign-in page saying so
 * signed in:  GET /session            {"csrf":"..."}, the token the page sends as X-CSRF-Token
 *             POST /session/end       signs out: the cookie cleared (Max-Age=0), {"ended":true}
 *             GET /decisions/live     text/event-stream: "data: LINE" per decision ({@link
 *                                     LiveDecisions}), the recent ones first; ": keep-alive"
 *                                     every {@link #KEEP_ALIVE}; 503 past {@link
 *                                     LiveDecisions#MAX_SUBSCRIBERS}
 *             GET /decisions/rates?span=hour|day   {@link DecisionRates.Series}
 * </pre>
 *
 * Every page and asset goes out with {@code Content-Security-Policy: default-src 'self'} (no inline
 * script or style, nothing from elsewhere) and {@code X-Frame-Options: DENY}. Thread-safe.
 */
final class Dashboard {
  private static final Logger log = LoggerFactory.getLogger("admin");

  /** A comment line this often keeps proxies and the browser from closing an idle stream. */
  static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

  /** The longest sign-in form read: a token is 43 characters; anything this long is not one. */
  private static final int MAX_FORM = 4096;

  private static final String OWN = "/org/mxtrap/admin/dashboard/";

  /** uPlot's files in its webjar; the version is the pom's dependency on org.webjars.npm:uplot. */
  private static final String UPLOT = "/META-INF/resources/webjars/uplot/1.6.30/dist/";

  /** A file served as it is. */
  private record Asset(String type, byte[] bytes) {}

  private static final String HTML = "text/html; charset=utf-8";

  private final AdminToken token;
  private final Sessions sessions;
  private final DecisionFeed feed;
  private final Asset dashboardPage = asset(OWN + "dashboard.html", HTML);
  private final String signInPage = text(OWN + "signin.html");
  private final Map<String, Asset> assets =
      Map.of(
          "/assets/dashboard.js", asset(OWN + "dashboard.js", "text/javascript; charset=utf-8"),
          "/assets/dashboard.css", asset(OWN + "dashboard.css", "text/css; charset=utf-8"),
          "/assets/favicon.svg", asset(OWN + "favicon.svg", "image/svg+xml"),
          "/assets/uplot/uPlot.iife.min.js",
              asset(UPLOT + "uPlot.iife.min.js", "text/javascript; charset=utf-8"),
          "/assets/uplot/uPlot.min.css", asset(UPLOT + "uPlot.min.css", "text/css; charset=utf-8"));

  Dashboard(AdminToken token, Sessions sessions, DecisionFeed feed) {
    this.token = token;
    this.sessions = sessions;
    this.feed = feed;
  }

  /** The session the request's cookie names, if it is live. */
  Optional<Sessions.Session> session(HttpExchange ex) {
    return sessions.find(ex.getRequestHeaders().getFirst("Cookie"));
  }

  /**
   * Serves the request when it is one of the open routes.
   *
   * @return false when it is not, and is left to the authenticated routes
   */
  boolean serveOpen(HttpExchange ex, String method, String path) throws IOException {
    if (path.equals("/")) {
      if (!method.equals("GET") && !method.equals("HEAD")) {
        throw new ApiException(405, method + " not allowed on /; use GET", "GET");
      }
      if (session(ex).isPresent()) {
        send(ex, 200, dashboardPage);
      } else {
        send(ex, 200, signIn(""));
      }
      return true;
    }
    if (path.startsWith("/assets/")) {
      Asset a = assets.get(path);
      if (a == null) {
        throw new ApiException(404, "no such asset: " + path);
      }
      send(ex, 200, a);
      return true;
    }
    if (path.equals("/session") && method.equals("POST")) {
      signIn(ex);
      return true;
    }
    return false;
  }

  /**
   * Serves the request when it is one of the dashboard's authenticated routes.
   *
   * @param session the caller's session; null for a bearer caller
   * @return false when it is not
   */
  boolean serveSignedIn(
      HttpExchange ex, String method, String path, Query q, Sessions.@Nullable Session session)
      throws IOException {
    switch (path) {
      case "/session" -> {
        allow(method, path, "GET, POST");
        q.only();
        AdminServer.send(
            ex, 200, Json.write(Map.of("csrf", signedIn(session).csrf())) + "\n", false);
      }
      case "/session/end" -> {
        allow(method, path, "POST");
        q.only();
        sessions.end(signedIn(session));
        ex.getResponseHeaders().set("Set-Cookie", Sessions.clearCookie());
        AdminServer.send(ex, 200, Json.write(Map.of("ended", true)) + "\n", false);
      }
      case "/decisions/rates" -> {
        allow(method, path, "GET");
        q.only("span");
        DecisionRates.Span span = DecisionRates.Span.parse(q.get("span").orElse("hour"));
        AdminServer.send(ex, 200, Json.write(feed.rates.series(span)) + "\n", false);
      }
      case "/decisions/live" -> {
        allow(method, path, "GET");
        q.only();
        live(ex);
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  private static void allow(String method, String path, String allowed) {
    if (!allowed.contains(method)) {
      throw new ApiException(405, method + " not allowed on " + path + "; use " + allowed, allowed);
    }
  }

  private static Sessions.Session signedIn(Sessions.@Nullable Session session) {
    if (session == null) {
      throw ApiException.badRequest("no session: this request was signed with the bearer token");
    }
    return session;
  }

  /** {@code POST /session}: the form's token checked as the bearer token is. */
  private void signIn(HttpExchange ex) throws IOException {
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readNBytes(MAX_FORM + 1);
    }
    Query form;
    try {
      form = Query.parse(new String(body, StandardCharsets.UTF_8));
    } catch (ApiException malformed) {
      form = new Query(Map.of());
    }
    String given = form.get("token").orElse("");
    if (body.length > MAX_FORM || !token.matches(given)) {
      log.warn("dashboard sign-in refused: wrong token");
      send(ex, 401, signIn("That is not this server's admin token."));
      return;
    }
    Sessions.Session s = sessions.open();
    log.info("dashboard signed in");
    ex.getResponseHeaders().set("Set-Cookie", Sessions.setCookie(s));
    ex.getResponseHeaders().set("Location", "/");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.sendResponseHeaders(303, -1);
  }

  /** The sign-in page, with {@code error} (plain text, escaped here) in its message slot. */
  private Asset signIn(String error) {
    String html =
        signInPage.replace(
            "<!--error-->",
            error.isEmpty() ? "" : "<p class=\"error\" role=\"alert\">" + escape(error) + "</p>");
    return new Asset(HTML, html.getBytes(StandardCharsets.UTF_8));
  }

  private void live(HttpExchange ex) throws IOException {
    Optional<LiveDecisions.Subscriber> subscribed = feed.live.subscribe();
    if (subscribed.isEmpty()) {
      throw new ApiException(
          503, "too many live views open (" + LiveDecisions.MAX_SUBSCRIBERS + "); close one");
    }
    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.sendResponseHeaders(200, 0);
    try (LiveDecisions.Subscriber s = subscribed.get();
        OutputStream out = ex.getResponseBody()) {
      for (String line : s.recent()) {
        out.write(("data: " + line + "\n\n").getBytes(StandardCharsets.UTF_8));
      }
      out.flush();
      while (true) {
        Optional<String> line = s.next(KEEP_ALIVE);
        String frame = line.map(l -> "data: " + l + "\n\n").orElse(": keep-alive\n\n");
        out.write(frame.getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (IOException e) {
      log.debug("live view closed: {}", e.toString()); // the browser went away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the server is stopping
    }
  }

  private static void send(HttpExchange ex, int status, Asset a) throws IOException {
    ex.getResponseHeaders().set("Content-Type", a.type());
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'");
    ex.getResponseHeaders().set("X-Frame-Options", "DENY");
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : a.bytes().length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(a.bytes());
      }
    }
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static Asset asset(String resource, String type) {
    try (InputStream in =
        Objects.requireNonNull(
            Dashboard.class.getResourceAsStream(resource),
            () -> "missing from the jar: " + resource)) {
      return new Asset(type, in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + resource + " from the jar", e);
    }
  }

  private static String text(String resource) {
    return new String(asset(resource, HTML).bytes(), StandardCharsets.UTF_8);
  }
}
