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
 * someone (return the results instead). Likewise a {@link RecipientResult.Deferred} result should
 * leave no copy behind: the recipient is tried again, and only a {@link Prior#UNKNOWN} attempt
 * looks for earlier copies.
 *
 * <p>Repetition: an attempt made after a crash, or after an attempt whose outcome was not recorded,
 * may be for recipients an earlier attempt already served. The caller says so ({@link
 * Delivery#prior()}); an agent that can find its own earlier copies (Maildir: by a name derived
 * from the queue ID) then reports those recipients delivered without a second copy.
 */
public interface DeliveryAgent {

  /** One delivery attempt for the given (pending) recipients of a message. */
  List<RecipientResult> deliver(Delivery delivery) throws IOException;

  /**
   * What to deliver: the message and the recipients still pending, in envelope order.
   *
   * @param prior what earlier attempts for this queue ID may have done
   */
  record Delivery(
      String queueId,
      Envelope envelope,
      TraceInfo trace,
      List<ForwardPath> recipients,
      Content content,
      Prior prior) {
    public Delivery {
      Objects.requireNonNull(queueId, "queueId");
      Objects.requireNonNull(envelope, "envelope");
      Objects.requireNonNull(trace, "trace");
      recipients = List.copyOf(recipients);
      Objects.requireNonNull(content, "content");
      Objects.requireNonNull(prior, "prior");
    }
  }

  /** What earlier attempts under the same queue ID may have delivered. */
  enum Prior {
    /**
     * Nothing: no earlier attempt under this queue ID, or every earlier one ended with its outcome
     * recorded (so any recipient given again was not delivered). The agent need not look for
     * earlier copies.
     */
    NONE,
    /**
     * Unknown: an earlier attempt, perhaps in a process that crashed, may have delivered to some of
     * these recipients without that being recorded. An agent that can tell should look for its
     * earlier copy before making one.
     */
    UNKNOWN
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
