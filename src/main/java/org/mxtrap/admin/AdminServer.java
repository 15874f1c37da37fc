package org.mxtrap.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.observe.Json;
import org.mxtrap.observe.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The admin HTTP API on {@code admin.bind}: {@code GET /status}, {@code GET|POST|DELETE
 * /suppressions}, {@code GET /explain}, {@code GET /queue/messages}, {@code GET|DELETE
 * /queue/messages/ID}, {@code POST /queue/flush} (the endpoints and their JSON: {@link AdminApi}),
 * {@code GET|POST /state}, which stream JSON lines ({@link StateEndpoint}), and {@code GET
 * /metrics}, the Prometheus text format ({@link Metrics}; open without the token when {@code
 * admin.metrics_public}, 404 when {@code admin.metrics} is off).
 *
 * <p>The dashboard's page, its assets and its sign-in are open ({@link Dashboard}). Every other
 * request must carry {@code Authorization: Bearer TOKEN} ({@link AdminToken}) or the cookie of a
 * dashboard session ({@link Sessions}); without either, the answer is 401 with {@code
 * WWW-Authenticate: Bearer}, whatever the path. A change made by cookie must also carry the
 * session's {@code X-CSRF-Token}, or it is 403. Bodies are JSON ({@code application/json}), or the
 * text the CLI prints when the request's {@code Accept} names {@code text/plain} and not {@code
 * application/json}. Errors are always JSON, {@code {"error":"MESSAGE"}}: 400 for bad input, 401,
 * 404 for an unknown path (or a suppression or queued message that is not there), 405 with {@code
 * Allow} for a wrong method, 500 for our own bug (logged; the client never sees a stack trace).
 *
 * <p>Each request runs on its own virtual thread. Lifecycle: {@link #start()} once, then {@link
 * #stop()}.
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("admin");

  /** The path of {@code state export} (GET) and {@code import} (POST), which stream. */
  private static final String STATE = "/state";

  /** The path of one queued message, before its ID. */
  private static final String MESSAGE = "/queue/messages/";

  /** The path of the suppressions in an export format. */
  private static final String EXPORT = "/suppressions/export";

  /** The path of the Prometheus scrape. */
  private static final String METRICS = "/metrics";

  private final InetSocketAddress bind;
  private final AdminToken token;
  private final AdminApi api;
  private final StateEndpoint state;
  private final @Nullable Metrics metrics;
  private final boolean metricsPublic;
  private final Dashboard dashboard;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private @Nullable HttpServer server;

  /**
   * The API of {@code host}, to be served on {@code bind} (port 0 for a free one: {@link
   * #address()} tells which), with the dashboard and the metrics.
   *
   * @param feed fills the dashboard's live list and charts
   * @param metrics served on {@code GET /metrics}; null when {@code admin.metrics} is off
   * @param metricsPublic {@code admin.metrics_public}: {@code GET /metrics} without the token
   */
  public AdminServer(
      InetSocketAddress bind,
      AdminToken token,
      Clock clock,
      Host host,
      DecisionFeed feed,
      @Nullable Metrics metrics,
      boolean metricsPublic) {
    this.bind = bind;
    this.token = token;
    this.api = new AdminApi(clock, host);
    this.state = new StateEndpoint(clock, host.transfer());
    this.metrics = metrics;
    this.metricsPublic = metricsPublic;
    this.dashboard = new Dashboard(token, new Sessions(clock, new SecureRandom()), feed);
  }

  /**
   * Binds and starts serving.
   *
   * @throws IOException {@code cannot bind ADDRESS: ...} when the address cannot be bound
   */
  public void start() throws IOException {
    HttpServer s;
    try {
      s = HttpServer.create(bind, 64);
    } catch (IOException e) {
      throw new IOException(
          "cannot bind "
              + Addresses.literal(bind.getAddress(), bind.getPort())
              + ": "
              + e.getMessage(),
          e);
    }
    s.setExecutor(executor);
    s.createContext("/", this::handle);
    s.start();
    server = s;
    log.info(
        "admin API on http://{}/", Addresses.literal(address().getAddress(), address().getPort()));
  }

  /** The address actually bound (the port resolved when 0 was asked). */
  public InetSocketAddress address() {
    HttpServer s = server;
    if (s == null) {
      throw new IllegalStateException("not started");
    }
    return s.getAddress();
  }

  /** Stops at once: requests still running are cut off (none takes long). */
  public void stop() {
    HttpServer s = server;
    server = null;
    if (s != null) {
      s.stop(0);
    }
    executor.shutdownNow();
  }

  @Override
  public void close() {
    stop();
  }

  private void handle(HttpExchange ex) {
    InetSocketAddress remote = ex.getRemoteAddress();
    MDC.put("session", Addresses.literal(remote.getAddress(), remote.getPort()));
    String method = ex.getRequestMethod();
    String path = ex.getRequestURI().getPath();
    try {
      if (metricsPublic && path.equals(METRICS)) {
        scrape(ex, method);
        return;
      }
      if (dashboard.serveOpen(ex, method, path)) {
        return;
      }
      Optional<Caller> caller = authenticate(ex, method, path);
      if (caller.isEmpty()) {
        return;
      }
      if (dashboard.serveSignedIn(
          ex,
          method,
          path,
          Query.parse(ex.getRequestURI().getRawQuery()),
          caller.get().session())) {
        return;
      }
      if (path.equals(STATE)) {
        transfer(ex, method, Query.parse(ex.getRequestURI().getRawQuery()));
        return;
      }
      if (path.equals(METRICS)) {
        scrape(ex, method);
        return;
      }
      if (path.equals(EXPORT)) {
        if (!method.equals("GET")) {
          throw notAllowed(method, EXPORT, "GET");
        }
        send(ex, 200, api.export(Query.parse(ex.getRequestURI().getRawQuery())), true);
        return;
      }
      Answer a = route(method, path, Query.parse(ex.getRequestURI().getRawQuery()));
      boolean text = wantsText(ex.getRequestHeaders().get("Accept"));
      send(ex, a.status(), text ? a.text() : Json.write(a.json()) + "\n", text);
    } catch (ApiException e) {
      if (!e.allow().isEmpty()) {
        ex.getResponseHeaders().set("Allow", e.allow());
      }
      sendError(ex, e.status(), e.getMessage());
    } catch (UncheckedIOException e) {
      // The store could not be read or written (a shared Redis away, failing over): an outside
      // failure, not ours, and the request may be sent again.
      String why = Objects.requireNonNull(e.getCause()).getMessage();
      log.warn("{} {} failed: {}", method, path, why);
      sendError(ex, 503, why + "; try again");
    } catch (IOException e) {
      log.debug("client went away: {}", e.toString()); // a peer hanging up
    } catch (RuntimeException e) {
      log.error("{} {} failed", method, path, e);
      sendError(ex, 500, "internal error: see the server's log");
    } finally {
      ex.close();
      MDC.clear();
    }
  }

  private Answer route(String method, String path, Query q) {
    return switch (path) {
      case "/status" ->
          switch (method) {
            case "GET" -> api.status(q);
            default -> throw notAllowed(method, path, "GET");
          };
      case "/suppressions" ->
          switch (method) {
            case "GET" -> api.suppressions(q);
            case "POST" -> api.suppress(q);
            case "DELETE" -> api.unsuppress(q);
            default -> throw notAllowed(method, path, "GET, POST, DELETE");
          };
      case "/explain" ->
          switch (method) {
            case "GET" -> api.explain(q);
            default -> throw notAllowed(method, path, "GET");
          };
      case "/queue/messages" ->
          switch (method) {
            case "GET" -> api.queue(q);
            default -> throw notAllowed(method, path, "GET");
          };
      case "/queue/flush" ->
          switch (method) {
            case "POST" -> api.flush(q);
            default -> throw notAllowed(method, path, "POST");
          };
      case "/reload" ->
          switch (method) {
            case "POST" -> api.reload(q);
            default -> throw notAllowed(method, path, "POST");
          };
      default -> {
        if (!path.startsWith(MESSAGE)) {
          throw new ApiException(
              404,
              "no such endpoint: "
                  + path
                  + "; there are /status, /suppressions[/export], /explain, /queue/messages[/ID],"
                  + " /queue/flush, /reload, /state, /metrics");
        }
        String id = path.substring(MESSAGE.length());
        yield switch (method) {
          case "GET" -> api.message(id, q);
          case "DELETE" -> api.delete(id, q);
          default -> throw notAllowed(method, path, "GET, DELETE");
        };
      }
    };
  }

  /** The body of every error answer: {@code {"error":"MESSAGE"}}. */
  record ErrorBody(String error) {}

  private static ApiException notAllowed(String method, String path, String allow) {
    return new ApiException(405, method + " not allowed on " + path + "; use " + allow, allow);
  }

  /** Text when the client names {@code text/plain} and not {@code application/json}. */
  static boolean wantsText(@Nullable List<String> accept) {
    if (accept == null) {
      return false;
    }
    String all = String.join(",", accept);
    return all.contains("text/plain") && !all.contains("application/json");
  }

  static void sendError(HttpExchange ex, int status, String message) {
    send(ex, status, Json.write(new ErrorBody(message)) + "\n", false);
  }

  static void send(HttpExchange ex, int status, String body, boolean text) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders()
        .set("Content-Type", text ? "text/plain; charset=utf-8" : "application/json");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    try {
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException e) {
      log.debug("client went away before the answer: {}", e.toString()); // a peer hanging up
    }
  }

  /**
   * {@code GET /state}: the export, streamed ({@code application/jsonl}, chunked); {@code POST
   * /state}: an import read from the request body as it comes, answered as any other endpoint.
   */
  private void transfer(HttpExchange ex, String method, Query q) {
    q.only();
    switch (method) {
      case "GET" -> {
        ex.getResponseHeaders().set("Content-Type", "application/jsonl");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        try (OutputStream out = ex.getResponseBody()) {
          ex.sendResponseHeaders(200, 0);
          state.export(out);
        } catch (IOException e) {
          log.debug("client went away during the export: {}", e.toString()); // a peer hanging up
        }
      }
      case "POST" -> {
        Answer a;
        try (InputStream in = ex.getRequestBody()) {
          a = state.importFrom(in);
        } catch (IOException e) {
          // what came before is applied; the client, gone, learns nothing: its CLI says it failed
          log.warn("state import cut off, the client went away: {}", e.toString());
          return;
        }
        boolean text = wantsText(ex.getRequestHeaders().get("Accept"));
        send(ex, a.status(), text ? a.text() : Json.write(a.json()) + "\n", text);
      }
      default -> throw notAllowed(method, STATE, "GET, POST");
    }
  }

  /**
   * {@code GET /metrics}: every metric in the Prometheus text format, written as it is read
   * (chunked); 404 when {@code admin.metrics} is off.
   */
  private void scrape(HttpExchange ex, String method) {
    if (!method.equals("GET")) {
      throw notAllowed(method, METRICS, "GET");
    }
    Metrics m = metrics;
    if (m == null) {
      throw new ApiException(404, "metrics are off on this server (admin.metrics: false)");
    }
    ex.getResponseHeaders().set("Content-Type", Metrics.CONTENT_TYPE);
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    try (OutputStream out = ex.getResponseBody()) {
      ex.sendResponseHeaders(200, 0);
      m.write(out);
    } catch (IOException e) {
      log.debug("client went away during the scrape: {}", e.toString()); // a peer hanging up
    }
  }

  /**
   * Who made a request: the bearer token's holder (no session), or a browser signed in to the
   * dashboard.
   */
  private record Caller(Sessions.@Nullable Session session) {}

  /**
   * The caller of a request to an authenticated route, or empty when it was answered already: 401
   * (with {@code WWW-Authenticate: Bearer}) without a valid bearer token or session cookie; 403 for
   * a change (not GET or HEAD) by cookie without its session's {@code X-CSRF-Token}. A bearer
   * request needs no CSRF token: a browser never adds that header on its own.
   */
  private Optional<Caller> authenticate(HttpExchange ex, String method, String path) {
    if (token.accepts(ex.getRequestHeaders().getFirst("Authorization"))) {
      return Optional.of(new Caller(null));
    }
    Optional<Sessions.Session> session = dashboard.session(ex);
    if (session.isEmpty()) {
      log.warn("refused {} {}: no valid bearer token", method, path);
      ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      sendError(
          ex,
          401,
          "send Authorization: Bearer TOKEN, with the token from DATA_DIR/"
              + AdminToken.FILE
              + " of this server");
      return Optional.empty();
    }
    boolean change = !method.equals("GET") && !method.equals("HEAD");
    if (change && !session.get().csrfMatches(ex.getRequestHeaders().getFirst("X-CSRF-Token"))) {
      log.warn("refused {} {}: signed in, but without the session's CSRF token", method, path);
      sendError(ex, 403, "send X-CSRF-Token: the token GET /session gives this session");
      return Optional.empty();
    }
    return Optional.of(new Caller(session.get()));
  }
}
