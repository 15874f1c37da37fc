package org.mxtrap.delivery;

import java.util.List;
import java.util.Objects;
import org.mxtrap.core.ForwardPath;

/** What {@link SmtpClient#open} gives: a session ready for mail, or why there is none. */
public sealed interface Connect {

  /** Greeted, said EHLO/HELO/LHLO, and encrypted as the policy asked: ready for {@code send}. */
  record Open(ClientSession session) implements Connect {
    public Open {
      Objects.requireNonNull(session, "session");
    }
  }

  /**
   * No session: refused or timed-out connection, a greeting other than 220, a refused EHLO/HELO or
   * LHLO, or STARTTLS that the policy required and did not get. Nothing was sent for any message.
   *
   * @param relay {@code host[address]:port}
   * @param status class 4 (try again, perhaps at another address) or 5 (the peer refuses service)
   */
  record Failed(String relay, EnhancedStatus status, String text) implements Connect {
    public Failed {
      Objects.requireNonNull(relay, "relay");
      if (status.statusClass() == 2) {
        throw new IllegalArgumentException("a failure with status " + status);
      }
      Objects.requireNonNull(text, "text");
    }

    /** This failure as the result of each of {@code recipients}, in their order. */
    public List<RecipientResult> resultsFor(List<ForwardPath> recipients) {
      return recipients.stream().map(r -> ClientSession.result(r, relay, status, text)).toList();
    }
  }
}
