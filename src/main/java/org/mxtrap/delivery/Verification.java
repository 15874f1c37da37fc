package org.mxtrap.delivery;

import java.util.Objects;
import org.mxtrap.core.Mailboxes;

/**
 * What a next hop said when asked whether it takes mail for a recipient ({@link
 * ClientSession#verify}).
 *
 * @param answer {@link Mailboxes.Answer#EXISTS} for a 2xx to RCPT, {@link Mailboxes.Answer#UNKNOWN}
 *     for a 5xx to RCPT, {@link Mailboxes.Answer#CANNOT_TELL} for anything else: a 4xx, a refused
 *     null sender, no session, a lost connection, a timeout
 * @param relay {@code host[address]:port}, or what was tried when no session opened
 * @param text the reply or the failure, for the log
 */
public record Verification(Mailboxes.Answer answer, String relay, String text) {
  public Verification {
    Objects.requireNonNull(answer, "answer");
    Objects.requireNonNull(relay, "relay");
    Objects.requireNonNull(text, "text");
  }
}
