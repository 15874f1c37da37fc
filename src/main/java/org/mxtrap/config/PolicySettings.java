package org.mxtrap.config;

import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The Postfix policy delegation service (PRODUCT.md, "Postfix front door").
 *
 * @param bind {@code HOST:PORT}, or {@code unix:/path} for a UNIX domain socket; null: no policy
 *     service ({@code serve} runs without one, {@code policy} refuses to start)
 * @param defaultAction the access(5) action answered when the engine cannot answer within {@code
 *     timeout}
 * @param timeout how long a request waits for the engine
 * @param maxConnections policy connections at once (Postfix opens one per smtpd process)
 * @param idleTimeout how long a connection may wait between requests
 */
public record PolicySettings(
    @Nullable SocketAddress bind,
    String defaultAction,
    Duration timeout,
    int maxConnections,
    Duration idleTimeout) {

  static final Key<PolicySettings, SocketAddress> BIND =
      Key.of(
          "bind",
          Type.of((in, f) -> in.reader().parsed(f, PolicySettings::bind), PolicySettings::show),
          null,
          PolicySettings::bind);
  static final Key<PolicySettings, String> DEFAULT_ACTION =
      Key.of(
          "default_action",
          Type.of((in, f) -> in.reader().parsed(f, PolicySettings::action), a -> a),
          "DUNNO",
          PolicySettings::defaultAction);
  static final Key<PolicySettings, Duration> TIMEOUT =
      Key.of(
          "timeout",
          Type.duration(
              Duration.ofSeconds(60),
              "Postfix waits for a policy answer for smtpd_policy_service_timeout (100s); the"
                  + " default action must come well before"),
          Duration.ofSeconds(1),
          PolicySettings::timeout);
  static final Key<PolicySettings, Integer> MAX_CONNECTIONS =
      Key.of("max_connections", Type.positiveInteger(), 1000, PolicySettings::maxConnections);
  static final Key<PolicySettings, Duration> IDLE_TIMEOUT =
      Key.of(
          "idle_timeout",
          Type.duration(Duration.ofHours(1), "an idle connection holds a descriptor"),
          Duration.ofMinutes(10),
          PolicySettings::idleTimeout);

  static final Section<PolicySettings> SECTION =
      Section.of(
          "policy",
          List.of(BIND, DEFAULT_ACTION, TIMEOUT, MAX_CONNECTIONS, IDLE_TIMEOUT),
          v ->
              new PolicySettings(
                  v.get(BIND),
                  v.get(DEFAULT_ACTION),
                  v.get(TIMEOUT),
                  v.get(MAX_CONNECTIONS),
                  v.get(IDLE_TIMEOUT)));

  public static final PolicySettings DEFAULTS = SECTION.defaults();

  /** The access(5) actions that make sense as the answer of a policy service that is late. */
  private static final Set<String> ACTIONS =
      Set.of(
          "OK",
          "DUNNO",
          "REJECT",
          "DEFER",
          "DEFER_IF_REJECT",
          "DEFER_IF_PERMIT",
          "HOLD",
          "DISCARD",
          "WARN",
          "INFO");

  /** {@code 450 text}, {@code 451 4.3.0 text}: a numeric access(5) result, 4xx or 5xx. */
  private static final Pattern NUMERIC = Pattern.compile("[45][0-9][0-9]( .*)?");

  /** {@code unix:/absolute/path} or {@code ADDRESS:PORT}. */
  private static SocketAddress bind(String text) {
    if (text.startsWith("unix:")) {
      Path p = Path.of(text.substring("unix:".length()));
      if (!p.isAbsolute()) {
        throw new IllegalArgumentException("a UNIX socket needs an absolute path: " + text);
      }
      return UnixDomainSocketAddress.of(p);
    }
    return IpLiterals.parseSocketAddress(text);
  }

  private static String show(SocketAddress a) {
    return a instanceof UnixDomainSocketAddress u
        ? "unix:" + u.getPath()
        : Type.socketAddress((java.net.InetSocketAddress) a);
  }

  /**
   * One line of an access(5) action: an action word (any case) and optional text, or a 4xx/5xx code
   * and text. No control characters: the line is sent as it is inside the protocol.
   */
  private static String action(String text) {
    if (text.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new IllegalArgumentException("an action is one line of text");
    }
    String word = text.split(" ", 2)[0];
    if (!ACTIONS.contains(word.toUpperCase(Locale.ROOT)) && !NUMERIC.matcher(text).matches()) {
      throw new IllegalArgumentException(
          "not a Postfix access(5) action: "
              + text
              + " (one of "
              + String.join(", ", ACTIONS.stream().sorted().toList())
              + ", or a 4xx/5xx code and text)");
    }
    return text;
  }
}
