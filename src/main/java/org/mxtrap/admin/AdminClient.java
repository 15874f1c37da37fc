package org.mxtrap.admin;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.observe.Json;

/**
 * Calls the admin API of the server that runs with a given config, as the CLI commands do: the
 * address from {@code admin.bind} (a wildcard bind is reached on loopback), the token from {@code
 * DATA_DIR/admin.token}. Every failure is a {@link Failure} whose message says what to do.
 */
public final class AdminClient {

  /** How long to wait for the server to accept the connection: it is local, or it is not there. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);

  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  /** A call that did not succeed; the message is for the operator, complete as it is. */
  public static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message, null, false, false);
    }
  }

  private final InetSocketAddress address;
  private final Path tokenFile;
  private final @Nullable AdminToken token;
  private final String configName;

  private AdminClient(
      InetSocketAddress address, Path tokenFile, @Nullable AdminToken token, String configName) {
    this.address = address;
    this.tokenFile = tokenFile;
    this.token = token;
    this.configName = configName;
  }

  /**
   * A client for the server that listens on {@code bind} and keeps its token in {@code dataDir}. A
   * missing token is not yet an error: whether the server is running at all is the first thing to
   * tell.
   *
   * @param configName what to call the config these come from, in messages
   * @throws Failure when the token file exists but cannot be read
   */
  public static AdminClient of(InetSocketAddress bind, Path dataDir, String configName)
      throws Failure {
    Path file = AdminToken.file(dataDir);
    AdminToken token;
    try {
      token = AdminToken.read(dataDir).orElse(null);
    } catch (AccessDeniedException e) {
      throw new Failure(
          "cannot read " + file + ": permission denied; run as the user that runs mxtrap serve");
    } catch (IOException e) {
      throw new Failure("cannot read " + file + ": " + e);
    }
    InetAddress host =
        bind.getAddress().isAnyLocalAddress()
            ? InetAddress.getLoopbackAddress()
            : bind.getAddress();
    return new AdminClient(new InetSocketAddress(host, bind.getPort()), file, token, configName);
  }

  /** {@code name=value} for a query string, the value percent-encoded. */
  public static String param(String name, String value) {
    return name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /**
   * Sends {@code method pathAndQuery} and returns the body of a 2xx answer: JSON, or the text form
   * when {@code json} is false.
   *
   * @throws Failure when nothing answers, the token is missing or refused, or the server answers
   *     with an error (its message is in the failure's)
   */
  public String call(String method, String pathAndQuery, boolean json) throws Failure {
    try (HttpClient http = http()) {
      return send(
          http,
          request(pathAndQuery, json ? "application/json" : "text/plain")
              .method(method, HttpRequest.BodyPublishers.noBody())
              .timeout(REQUEST_TIMEOUT),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  /**
   * {@code GET pathAndQuery}, each line of a 2xx answer handed to {@code lines} as it arrives, so
   * that an answer of any length is never held whole.
   *
   * @throws Failure as {@link #call} does, also when the connection breaks part way
   */
  public void download(String pathAndQuery, Consumer<String> lines) throws Failure {
    // The client is closed only after the body is read: its close waits for the exchange to end.
    try (HttpClient http = http();
        Stream<String> body =
            send(
                http,
                request(pathAndQuery, "application/jsonl").GET().timeout(REQUEST_TIMEOUT),
                HttpResponse.BodyHandlers.ofLines())) {
      body.forEach(lines);
    } catch (UncheckedIOException e) {
      throw new Failure("the answer of mxtrap broke off: " + e.getCause());
    }
  }

  /**
   * {@code POST pathAndQuery} with the contents of {@code file} as the body, streamed from disk;
   * returns the body of a 2xx answer, JSON or text as {@link #call}. It waits up to {@link
   * #UPLOAD_TIMEOUT} for the answer, which comes when the server has taken the whole body.
   *
   * @throws Failure as {@link #call} does, or when {@code file} cannot be read
   */
  public String upload(String pathAndQuery, Path file, boolean json) throws Failure {
    HttpRequest.BodyPublisher body;
    try {
      body = HttpRequest.BodyPublishers.ofFile(file);
    } catch (FileNotFoundException e) {
      throw new Failure("cannot read " + file + ": " + e.getMessage());
    }
    try (HttpClient http = http()) {
      return send(
          http,
          request(pathAndQuery, json ? "application/json" : "text/plain")
              .header("Content-Type", "application/jsonl")
              .POST(body)
              .timeout(UPLOAD_TIMEOUT),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  /** The message of an error body {@code {"error":"..."}}; any other body as it is. */
  static String errorMessage(String body) {
    try {
      String message = Json.read(body, AdminServer.ErrorBody.class).error();
      if (message != null) {
        return message;
      }
    } catch (IllegalArgumentException notOurs) {
      // fall through: show what came
    }
    return body.strip();
  }

  /** How long {@link #upload} waits for the answer: a large import into Redis takes minutes. */
  static final Duration UPLOAD_TIMEOUT = Duration.ofHours(1);

  private static HttpClient http() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(CONNECT_TIMEOUT)
        .build();
  }

  private String where() {
    return Addresses.literal(address.getAddress(), address.getPort());
  }

  private HttpRequest.Builder request(String pathAndQuery, String accept) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://" + where() + pathAndQuery))
            .header("Accept", accept);
    if (token != null) {
      request.header("Authorization", token.authorization());
    }
    return request;
  }

  /**
   * Sends {@code request} and gives the body of a 2xx answer, as {@code handler} reads it; any
   * other answer is a {@link Failure} with the server's message.
   */
  private <T> T send(
      HttpClient http, HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler)
      throws Failure {
    String where = where();
    HttpResponse<T> response;
    try {
      response = http.send(request.build(), handler);
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new Failure(
          "mxtrap is not running: nothing answers on "
              + where
              + " (admin.bind of "
              + configName
              + ")");
    } catch (IOException e) {
      throw new Failure("cannot talk to mxtrap on " + where + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure("interrupted");
    }
    int status = response.statusCode();
    if (status / 100 == 2) {
      return response.body();
    }
    String body = errorBody(response.body());
    if (status == 401 && token == null) {
      throw new Failure(
          "no admin token in " + tokenFile + ": has mxtrap serve run with this data_dir?");
    }
    if (status == 401) {
      throw new Failure(
          "mxtrap on "
              + where
              + " refused the token in "
              + tokenFile
              + ": does it run with another data_dir?");
    }
    throw new Failure("mxtrap answered " + status + ": " + errorMessage(body));
  }

  /** The body of an error answer as text, whichever handler read it. */
  private static String errorBody(Object body) {
    if (body instanceof Stream<?> lines) {
      try (lines) {
        return lines.map(String::valueOf).collect(Collectors.joining("\n"));
      }
    }
    return String.valueOf(body);
  }
}
