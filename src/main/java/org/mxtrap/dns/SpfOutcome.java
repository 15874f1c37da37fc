package org.mxtrap.dns;

import java.util.Objects;

/**
 * What {@link Spf#checkHost} found: the result and why, for the evidence of a decision.
 *
 * @param result the RFC 7208 result
 * @param reason for people: the mechanism that matched and in which domain's record ({@code
 *     example.com: include:_spf.example.net matched (_spf.example.net: ip4:192.0.2.0/24 matched)}),
 *     or what failed
 */
public record SpfOutcome(SpfResult result, String reason) {
  public SpfOutcome {
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(reason, "reason");
  }

  @Override
  public String toString() {
    return result.label() + " (" + reason + ")";
  }
}
