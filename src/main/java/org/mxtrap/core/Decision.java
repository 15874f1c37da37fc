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
 */
public record Decision(Verdict verdict, Action action, String reason, @Nullable Instant until) {

  public Decision {
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(reason, "reason");
  }

  public static Decision accept(String reason) {
    return new Decision(Verdict.ACCEPT, Action.ACCEPT, reason, null);
  }

  /** True when the client is served normally (accept, allowed, fallback). */
  public boolean serves() {
    return action == Action.ACCEPT;
  }
}
