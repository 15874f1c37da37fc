package org.mxtrap.admin;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The host's mail queue, as {@code mxtrap queue} shows and edits it: the spool and its runner, as
 * admin sees them. Thread-safe; each call sees the queue as it is at that moment.
 */
public interface Queue {

  /**
   * One queued message.
   *
   * @param id the queue ID
   * @param sender the reverse path without its angle brackets; empty for the null sender {@code <>}
   * @param arrived when the spool accepted it
   * @param size octets of content as received
   * @param client the address the message came from ({@code 192.0.2.7}, IPv6 bare)
   * @param recipients every envelope recipient, in envelope order, delivered ones included
   */
  record Message(
      String id,
      String sender,
      Instant arrived,
      long size,
      String client,
      List<Recipient> recipients) {

    public Message {
      recipients = List.copyOf(recipients);
    }

    /**
     * One block, as {@code mailq} prints one: the message, then each recipient on its own line.
     *
     * <pre>
     * 01JXQ3M5T8000  1234 bytes  arrived 2026-03-01T12:00:00Z  from &lt;bob@example.org&gt; (192.0.2.7)
     *   &lt;alice@example.com&gt;: deferred, 2 attempts, next 2026-03-01T12:03:00Z: 4.2.2 mailbox full
     * </pre>
     */
    String text() {
      StringBuilder t =
          new StringBuilder(id)
              .append("  ")
              .append(size)
              .append(" bytes  arrived ")
              .append(arrived)
              .append("  from <")
              .append(sender)
              .append("> (")
              .append(client)
              .append(")\n");
      recipients.forEach(r -> t.append("  ").append(r.text()).append('\n'));
      return t.toString();
    }
  }

  /**
   * Where one recipient of a queued message stands.
   *
   * @param address the forward path without its angle brackets
   * @param attempts how many attempts ended with an outcome for it
   * @param nextAttempt when it is tried again; null once it is delivered or failed
   * @param lastError the last temporary or permanent failure, {@code 4.2.2 mailbox full}; null when
   *     never tried or delivered
   */
  record Recipient(
      String address,
      Status status,
      int attempts,
      @Nullable Instant nextAttempt,
      @Nullable String lastError) {

    String text() {
      String tried = attempts + (attempts == 1 ? " attempt" : " attempts");
      return "<"
          + address
          + ">: "
          + switch (status) {
            case PENDING -> "pending, due " + nextAttempt;
            case DEFERRED -> "deferred, " + tried + ", next " + nextAttempt + ": " + lastError;
            case DELIVERED -> "delivered";
            case FAILED -> "failed after " + tried + ": " + lastError;
          };
    }
  }

  /** A recipient's status; a message leaves the queue once none is pending or deferred. */
  enum Status {
    /** Never tried yet. */
    PENDING,
    /** The last attempt failed temporarily: tried again at its next attempt. */
    DEFERRED,
    DELIVERED,
    /** Failed permanently or expired; its DSN (unless the sender is null) is queued. */
    FAILED;

    /** {@code pending}, {@code deferred}, {@code delivered}, {@code failed}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Whether {@code text} has the form of a queue ID (whether or not one is queued). */
  boolean isId(String text);

  /** Every queued message, oldest first. */
  List<Message> list();

  /** The message with this ID, if it is queued. */
  Optional<Message> find(String id);

  /**
   * Makes every queued message due now and wakes the runner; it returns before the attempts end.
   *
   * @return how many messages were queued when asked
   */
  int flush();

  /**
   * Removes the message for good, whatever its recipients' states, without a DSN. An attempt in
   * flight may still deliver to some of its recipients; nothing of it is recorded.
   *
   * @return false when no such message is queued
   * @throws IOException when the spool could not remove it
   */
  boolean delete(String id) throws IOException;
}
