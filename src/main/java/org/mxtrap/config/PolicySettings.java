package org.mxtrap.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;

/**
 * The Postfix policy delegation service (PRODUCT.md {@code policy}): where it listens, what Postfix
 * does when it cannot ask it, and how long an answer may take.
 *
 * @param bind where the service listens: a TCP address or a UNIX socket
 * @param defaultAction the answer when the engine cannot decide within {@code timeout}, and the
 *     action Postfix takes when it cannot ask us at all
 * @param timeout how long the engine may take for one request before the default action is the
 *     answer
 */
public record PolicySettings(Bind bind, DefaultAction defaultAction, Duration timeout) {

  /** Where the service listens: {@code HOST:PORT} or {@code unix:/path}. */
  public sealed interface Bind {
    /** {@code ADDRESS:PORT}, IPv6 in brackets. */
    record Inet(InetSocketAddress address) implements Bind {
      public Inet {
        Objects.requireNonNull(address, "address");
      }
    }

    /** {@code unix:/path}: a UNIX-domain socket at an absolute path. */
    record Unix(Path path) implements Bind {
      public Unix {
        if (!path.isAbsolute()) {
          throw new IllegalArgumentException("not an absolute path: " + path);
        }
      }
    }

    /** The prefix of a UNIX socket's path, as Postfix writes it in {@code check_policy_service}. */
    String UNIX = "unix:";

    /**
     * {@code unix:/path} or {@code ADDRESS:PORT}.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    static Bind parse(String text) {
      if (!text.startsWith(UNIX)) {
        return new Inet(IpLiterals.parseSocketAddress(text));
      }
      String path = text.substring(UNIX.length());
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException(
            "expected unix:/ABSOLUTE/PATH for a UNIX socket, got " + text);
      }
      return new Unix(Path.of(path).normalize());
    }

    /** As it is written in the config: {@code 127.0.0.1:10040}, {@code unix:/run/x.sock}. */
    default String text() {
      return switch (this) {
        case Inet i -> Addresses.literal(i.address().getAddress(), i.address().getPort());
        case Unix u -> UNIX + u.path();
      };
    }
  }

  /**
   * The Postfix action for a request the engine cannot answer in time: {@code DUNNO} (go on as if
   * no policy were asked: fail open) or {@code DEFER_IF_PERMIT} (tempfail what would be accepted:
   * fail closed).
   */
  public enum DefaultAction {
    DUNNO,
    DEFER_IF_PERMIT
  }

  /** The longest {@code timeout}: an smtpd process and its client wait this long for an answer. */
  public static final Duration MAX_TIMEOUT = Duration.ofSeconds(10);

  public PolicySettings {
    Objects.requireNonNull(bind, "bind");
    Objects.requireNonNull(defaultAction, "defaultAction");
    Objects.requireNonNull(timeout, "timeout");
  }

  static final Key<PolicySettings, Bind> BIND =
      Key.<PolicySettings, Bind>required(
              "bind",
              Type.of((in, f) -> in.reader().parsed(f, Bind::parse), Bind::text),
              "HOST:PORT or unix:/path, where Postfix asks",
              null)
          .shownAs(p -> p.bind().text());
  static final Key<PolicySettings, DefaultAction> DEFAULT_ACTION =
      Key.of(
          "default_action",
          Type.of(
              (in, f) ->
                  in.reader().choice(f, DefaultAction.class, List.of("DUNNO", "DEFER_IF_PERMIT")),
              DefaultAction::name),
          DefaultAction.DUNNO,
          PolicySettings::defaultAction);
  static final Key<PolicySettings, Duration> TIMEOUT =
      Key.of(
          "timeout",
          Type.duration(MAX_TIMEOUT, "an smtpd process waits for the answer"),
          Duration.ofSeconds(1),
          PolicySettings::timeout);

  /** Absent, or {@code policy: {}}: no policy service. */
  static final Section<PolicySettings> SECTION =
      Section.of("policy", List.of(BIND, DEFAULT_ACTION, TIMEOUT), PolicySettings::build);

  /** How the effective configuration shows {@code policy}, which may be absent. */
  static String describe(@Nullable PolicySettings policy) {
    return policy == null ? "off (no Postfix policy service)" : SECTION.describe().apply(policy);
  }

  private static @Nullable PolicySettings build(Values v) {
    if (!v.given(BIND) && !v.given(DEFAULT_ACTION) && !v.given(TIMEOUT)) {
      return null;
    }
    Bind bind = v.get(BIND);
    DefaultAction action = v.get(DEFAULT_ACTION);
    Duration timeout = v.get(TIMEOUT);
    return bind == null ? null : new PolicySettings(bind, action, timeout);
  }
}
