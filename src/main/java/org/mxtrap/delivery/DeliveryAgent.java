package org.mxtrap.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.TraceInfo;

/**
 * Takes a queued message to where it belongs: a Maildir now, an SMTP/LMTP relay or the next MX
 * later. The queue runner owns scheduling, retries, expiry and bounces; an agent only tries once
 * and says, per recipient, what happened.
 *
 * <p>Threading: {@link #deliver} is called from many virtual threads at once, never twice at the
 * same time for the same message. It may block (disk, network); it must honour interruption or
 * finish in bounded time so that the runner can stop.
 *
 * <p>Failure: an agent returns a {@link RecipientResult} for each recipient it was given, in the
 * same order. An exception means "nothing known": the runner defers every recipient of the attempt
 * with {@code 4.3.0} and tries them all again, so an agent must not throw after it delivered to
 * someone (return the results instead).
 */
public interface DeliveryAgent {

  /** One delivery attempt for the given (pending) recipients of a message. */
  List<RecipientResult> deliver(Delivery delivery) throws IOException;

  /** What to deliver: the message and the recipients still pending, in envelope order. */
  record Delivery(
      String queueId,
      Envelope envelope,
      TraceInfo trace,
      List<ForwardPath> recipients,
      Content content) {
    public Delivery {
      Objects.requireNonNull(queueId, "queueId");
      Objects.requireNonNull(envelope, "envelope");
      Objects.requireNonNull(trace, "trace");
      recipients = List.copyOf(recipients);
      Objects.requireNonNull(content, "content");
    }
  }

  /**
   * The message content as received (CRLF line ends, dot-unstuffed); each call opens a new stream
   * that the caller closes, so an agent may read it once per recipient.
   */
  @FunctionalInterface
  interface Content {
    InputStream open() throws IOException;
  }
}
