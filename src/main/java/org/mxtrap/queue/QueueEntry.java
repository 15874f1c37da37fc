package org.mxtrap.queue;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.TraceInfo;

/**
 * A snapshot of one committed message in the spool: what {@code mxtrap queue list/show} prints and
 * what the queue runner schedules by. Snapshots are immutable; call {@link Spool#find} again to see
 * later changes.
 *
 * @param id the queue ID
 * @param envelope the SMTP envelope
 * @param trace how the message reached us
 * @param arrival when the spool accepted the message (from the spool's clock)
 * @param size octets of content as received (CRLF line ends, no Return-Path or Received added)
 * @param attempts delivery attempts recorded so far
 * @param nextAttempt when the message is due; its arrival until the first attempt is recorded
 * @param recipients one state per envelope recipient, in envelope order
 */
public record QueueEntry(
    String id,
    Envelope envelope,
    TraceInfo trace,
    Instant arrival,
    long size,
    int attempts,
    Instant nextAttempt,
    List<RecipientState> recipients) {

  public QueueEntry {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(trace, "trace");
    Objects.requireNonNull(arrival, "arrival");
    Objects.requireNonNull(nextAttempt, "nextAttempt");
    recipients = List.copyOf(recipients);
  }

  /** This entry after an attempt or an outcome: same message, new delivery state. */
  QueueEntry withState(int attempts, Instant nextAttempt, List<RecipientState> recipients) {
    return new QueueEntry(id, envelope, trace, arrival, size, attempts, nextAttempt, recipients);
  }

  /** Recipients still to be delivered. */
  public List<RecipientState> pending() {
    return recipients.stream().filter(r -> !r.status().isFinal()).toList();
  }

  /** True when every recipient is delivered or failed: the message may leave the queue. */
  public boolean isDone() {
    return recipients.stream().allMatch(r -> r.status().isFinal());
  }
}
