package org.mxtrap.core;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The engine's answer about one contact: a value, never an exception (STYLE.md rule 2). Reply text
 * is made at the edges from it.
 *
 * @param verdict why
 * @param action what the client gets
 * @param reason human-readable evidence, for the decision log and {@code explain}
 * @param until when the decision suppresses the client (or found it suppressed): the end of that
 *     suppression; null otherwise
 * @param reverseName the client's forward-confirmed reverse DNS name, when the engine looked it up
 *     and it was verified; null otherwise. For the Received header and the decision log; the engine
 *     also remembers its registered domain as the sender's identity (which may excuse a later
 *     fallback of the same sender).
 */
public record Decision(
    Verdict verdict,
    Action action,
    String reason,
    @Nullable Instant until,
    @Nullable String reverseName) {

  public Decision {
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(reason, "reason");
  }

  /** A decision without a reverse name. */
  public Decision(Verdict verdict, Action action, String reason, @Nullable Instant until) {
    this(verdict, action, reason, until, null);
  }

  public static Decision accept(String reason) {
    return new Decision(Verdict.ACCEPT, Action.ACCEPT, reason, null);
  }

  /** True when the client is served normally (accept, allowed, fallback). */
  public boolean serves() {
    return action == Action.ACCEPT;
  }

  /** The same decision with {@code name} as the client's verified reverse name (null: none). */
  public Decision withReverseName(@Nullable String name) {
    return new Decision(verdict, action, reason, until, name);
  }

  /** The same decision with {@code more} appended to its reason, after a semicolon. */
  public Decision withMoreReason(String more) {
    return new Decision(verdict, action, reason + "; " + more, until, reverseName);
  }
}
