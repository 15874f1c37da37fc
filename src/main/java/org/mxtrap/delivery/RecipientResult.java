package org.mxtrap.delivery;

import java.util.Objects;
import org.mxtrap.core.ForwardPath;

/**
 * The outcome of one delivery attempt for one recipient. The queue runner logs it, records it in
 * the spool, and reports failures in a DSN.
 */
public sealed interface RecipientResult {

  ForwardPath recipient();

  /** Where the mail went or was refused, for the log's {@code relay=}: {@code maildir}, a host. */
  String relay();

  EnhancedStatus status();

  /** Human-readable detail for the log, {@code queue show} and the DSN. */
  String text();

  /** The recipient has the message; it is never tried again. */
  record Delivered(ForwardPath recipient, String relay, EnhancedStatus status, String text)
      implements RecipientResult {
    public Delivered {
      check(recipient, relay, status, text, 2);
    }
  }

  /** A temporary failure: the runner tries again later, until the message expires. */
  record Deferred(ForwardPath recipient, String relay, EnhancedStatus status, String text)
      implements RecipientResult {
    public Deferred {
      check(recipient, relay, status, text, 4);
    }
  }

  /** A permanent failure: never tried again; a DSN goes to the reverse path unless it is null. */
  record Failed(ForwardPath recipient, String relay, EnhancedStatus status, String text)
      implements RecipientResult {
    public Failed {
      check(recipient, relay, status, text, 5);
    }
  }

  private static void check(
      ForwardPath recipient, String relay, EnhancedStatus status, String text, int statusClass) {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(relay, "relay");
    Objects.requireNonNull(text, "text");
    if (status.statusClass() != statusClass) {
      throw new IllegalArgumentException("status " + status + " needs class " + statusClass);
    }
  }
}
