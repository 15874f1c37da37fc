package org.mxtrap.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * The dashboard's sign-in sessions, in memory (a restart signs everyone out).
 *
 * <p>A session is opened by the admin token ({@link AdminServer}, {@code POST /session}) and named
 * by a random 32-byte id (base64url, 43 characters) in the cookie {@value #COOKIE}; it carries its
 * own random CSRF token, which a cookie-authenticated change must echo in {@code X-CSRF-Token}. It
 * ends when signed out, after {@link #IDLE} without a request, or when {@link #MAX} newer ones
 * displace it (the least recently used goes first).
 *
 * <p>Thread-safe: every method holds the instance's lock, briefly.
 */
final class Sessions {
  /** The cookie that names a session. */
  static final String COOKIE = "mxtrap_session";

  /** A session unused this long has ended. */
  static final Duration IDLE = Duration.ofHours(12);

  /** At most this many sessions at once: a token guesser cannot grow the map, only churn it. */
  static final int MAX = 64;

  /** One signed-in browser. */
  record Session(String id, String csrf) {

    /** Whether {@code header} (an {@code X-CSRF-Token} value, or null) is this session's token. */
    boolean csrfMatches(@Nullable String header) {
      return header != null
          && MessageDigest.isEqual(
              header.getBytes(StandardCharsets.UTF_8), csrf.getBytes(StandardCharsets.UTF_8));
    }
  }

  private final Clock clock;
  private final RandomGenerator random;
  // Access order: the first entry is the least recently used.
  private final LinkedHashMap<String, Used> sessions = new LinkedHashMap<>(16, 0.75f, true);

  private record Used(Session session, Instant last) {}

  /** {@code random} must be a cryptographically strong generator (SecureRandom) outside tests. */
  Sessions(Clock clock, RandomGenerator random) {
    this.clock = clock;
    this.random = random;
  }

  /** A new session; the least recently used one ends when there are {@link #MAX} already. */
  synchronized Session open() {
    Session s = new Session(randomId(), randomId());
    Iterator<Map.Entry<String, Used>> oldest = sessions.entrySet().iterator();
    while (sessions.size() >= MAX && oldest.hasNext()) {
      oldest.next();
      oldest.remove();
    }
    sessions.put(s.id(), new Used(s, clock.instant()));
    return s;
  }

  /**
   * The live session named by the {@code Cookie} request header (null when there was none), which
   * counts as a use of it.
   */
  synchronized Optional<Session> find(@Nullable String cookieHeader) {
    String id = cookie(cookieHeader);
    if (id == null) {
      return Optional.empty();
    }
    Used u = sessions.get(id);
    Instant now = clock.instant();
    if (u == null) {
      return Optional.empty();
    }
    if (!now.isBefore(u.last().plus(IDLE))) {
      sessions.remove(id);
      return Optional.empty();
    }
    sessions.put(id, new Used(u.session(), now));
    return Optional.of(u.session());
  }

  /** Ends {@code s}. */
  synchronized void end(Session s) {
    sessions.remove(s.id());
  }

  /**
   * The {@code Set-Cookie} value that hands {@code s} to the browser. HttpOnly: page scripts never
   * see it; SameSite=Strict: no other site's page makes the browser send it. No {@code Secure}: the
   * admin API is plain HTTP, meant for loopback (or an SSH tunnel to it), where a Secure cookie
   * would never be sent back.
   */
  static String setCookie(Session s) {
    return COOKIE + "=" + s.id() + "; HttpOnly; SameSite=Strict; Path=/";
  }

  /** The {@code Set-Cookie} value that makes the browser forget its session. */
  static String clearCookie() {
    return COOKIE + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";
  }

  /** The value of {@value #COOKIE} in a {@code Cookie} header ({@code a=1; b=2}), if any. */
  static @Nullable String cookie(@Nullable String header) {
    if (header == null) {
      return null;
    }
    for (String pair : header.split(";")) {
      String p = pair.strip();
      if (p.startsWith(COOKIE + "=")) {
        return p.substring(COOKIE.length() + 1);
      }
    }
    return null;
  }

  private String randomId() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
