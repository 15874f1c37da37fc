package org.mxtrap.policy;

import java.math.BigDecimal;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.mxtrap.config.DnsblSettings;
import org.mxtrap.core.Action;
import org.mxtrap.core.Decision;
import org.mxtrap.core.Verdict;
import org.mxtrap.dns.Dnsbl;
import org.mxtrap.dns.DnsblAnswer;

/**
 * The DNSBL check (PRODUCT.md: "DNSBL zones add weighted scores against a threshold"). The score of
 * a client is the sum of the weights of the zones that list it, plus the weights of the zones that
 * could not be asked and fail closed ({@code on_unknown: closed}); zones that could not be asked
 * and fail open add nothing but are named in the reason. A score at or above {@code
 * dnsbl.threshold} refuses the client with the verdict {@code dnsbl}:
 *
 * <ul>
 *   <li>with {@code suppress.action} when the listings alone reach the threshold;
 *   <li>with a tempfail (421) when it takes unknown zones to reach it, whatever {@code
 *       suppress.action} says: a lookup that could not be made says nothing about the client, so it
 *       may defer the mail, never reject (554) it or hold it in the tarpit.
 * </ul>
 *
 * The check never suppresses: a listing is the list's judgement, which it keeps up to date and
 * which the next lookup asks again, not evidence of our own. Weights are summed as the decimals
 * they were written as, so 0.7 + 0.2 + 0.1 reaches a threshold of 1. Thread-safe.
 */
final class DnsblCheck {

  /** What the check says about a client. */
  sealed interface Outcome permits Refuse, Pass {}

  /** The score reached the threshold: the client gets {@code decision}. */
  record Refuse(Decision decision) implements Outcome {}

  /**
   * No opinion: the next check decides.
   *
   * @param note what the lists said, for the reason of the decision that follows (listings below
   *     the threshold, zones that could not be asked); empty when every zone answered "not listed"
   */
  record Pass(String note) implements Outcome {}

  /** Nothing asked, nothing to say. */
  static final Pass SILENT = new Pass("");

  private final Dnsbl dnsbl;
  private final Action action;

  /**
   * @param dnsbl the zones to ask
   * @param action what a client the listings refuse gets ({@code suppress.action})
   */
  DnsblCheck(Dnsbl dnsbl, Action action) {
    this.dnsbl = dnsbl;
    this.action = action;
  }

  /** Whether there is any zone to ask. */
  boolean enabled() {
    return dnsbl.enabled();
  }

  /** Asks every zone about {@code client} (within {@code dnsbl.timeout}) and judges the answers. */
  Outcome check(InetAddress client) {
    return enabled() ? judge(dnsbl.lookup(client)) : SILENT;
  }

  /** The score of {@code answers} against the threshold. */
  Outcome judge(List<DnsblAnswer> answers) {
    BigDecimal listed = BigDecimal.ZERO;
    BigDecimal unknownClosed = BigDecimal.ZERO;
    List<String> said = new ArrayList<>();
    for (DnsblAnswer a : answers) {
      BigDecimal weight = BigDecimal.valueOf(a.zone().weight());
      switch (a) {
        case DnsblAnswer.Listed l -> {
          listed = listed.add(weight);
          said.add(l.describe() + " +" + text(weight));
        }
        case DnsblAnswer.Unknown u -> {
          if (u.zone().onUnknown() == DnsblSettings.OnUnknown.CLOSED) {
            unknownClosed = unknownClosed.add(weight);
            said.add(u.describe() + " +" + text(weight) + " (fails closed)");
          } else {
            said.add(u.describe() + " (fails open)");
          }
        }
        case DnsblAnswer.NotListed n -> {}
      }
    }
    if (said.isEmpty()) {
      return SILENT;
    }
    BigDecimal threshold = BigDecimal.valueOf(dnsbl.settings().threshold());
    BigDecimal score = listed.add(unknownClosed);
    String zones = String.join("; ", said);
    if (score.compareTo(threshold) < 0) {
      return new Pass(
          "DNSBL score " + text(score) + " below the threshold " + text(threshold) + ": " + zones);
    }
    String reason =
        "DNSBL score " + text(score) + " reaches the threshold " + text(threshold) + ": " + zones;
    if (listed.compareTo(threshold) >= 0) {
      return new Refuse(new Decision(Verdict.DNSBL, action, reason, null));
    }
    return new Refuse(
        new Decision(
            Verdict.DNSBL,
            Action.TEMPFAIL,
            reason
                + "; listings alone score "
                + text(listed)
                + ": tempfail until the unknown zones answer",
            null));
  }

  private static String text(BigDecimal n) {
    return n.stripTrailingZeros().toPlainString();
  }
}
