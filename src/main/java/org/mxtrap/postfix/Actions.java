package org.mxtrap.postfix;

import java.util.function.Function;
import org.mxtrap.core.Decision;

/**
 * Every action the policy server answers, named once. SMTPD_POLICY_README: "The policy server
 * replies with any action that is allowed in a Postfix SMTPD access(5) table."
 */
final class Actions {
  private Actions() {}

  /** No opinion: Postfix goes on with the rest of its restriction list. */
  static final String DUNNO = "DUNNO";

  /**
   * The answer to a request we cannot read, before the connection closes. The README would have the
   * server log and hang up without a reply; Postfix then asks once more and, failing again, applies
   * its own {@code smtpd_policy_service_default_action} (451 4.3.5). Postfix itself never sends
   * such a request, so its sender is a stray or broken client: it gets the same temporary answer at
   * once, with the reason, instead of the retry.
   */
  static final String MALFORMED = "DEFER_IF_PERMIT 4.3.5 Error: malformed policy request";

  /**
   * The action for the engine's decision; {@code text} gives the reply text the built-in server
   * sends for a decision that does not serve.
   *
   * <ul>
   *   <li>accept: {@code DUNNO}, so the rest of Postfix's restrictions still apply (an {@code OK}
   *       would skip them);
   *   <li>reject: {@code REJECT 5.7.1 text};
   *   <li>tempfail: {@code DEFER_IF_PERMIT 4.7.1 text}, not {@code 450}: with {@code
   *       smtpd_delay_reject} (the default), a later {@code REJECT} in the same restriction list
   *       (an unknown recipient, a relay attempt) still wins and the client gets that permanent
   *       answer, while everything the list would permit is deferred;
   *   <li>tarpit: answered as tempfail. A Postfix {@code SLEEP} would hold one smtpd process per
   *       client, the very cost the tarpit exists to put on the sender; deferring costs Postfix
   *       nothing.
   * </ul>
   */
  static String of(Decision d, Function<Decision, String> text) {
    return switch (d.action()) {
      case ACCEPT -> DUNNO;
      case REJECT -> "REJECT 5.7.1 " + text.apply(d);
      case TEMPFAIL, TARPIT -> "DEFER_IF_PERMIT 4.7.1 " + text.apply(d);
    };
  }
}
