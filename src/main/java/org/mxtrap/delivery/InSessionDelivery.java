package org.mxtrap.delivery;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.MessageSink;
import org.mxtrap.core.TraceInfo;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;
import org.mxtrap.queue.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink the SMTP server writes to: delivers a small message in the session, before the 250, and
 * queues only what it could not deliver.
 *
 * <h2>Contract</h2>
 *
 * A message of at most {@code maxHeld} octets is held in memory while it is received. At the end of
 * DATA the agent delivers it to every recipient at once (for Maildir: each copy fsynced and renamed
 * into {@code new/}, and {@code new/} fsynced), each result is logged as the {@linkplain
 * QueueRunner queue runner} logs it, and recipients the agent did not deliver are queued under the
 * same queue ID, with only them in the envelope, for the queue runner's retries and bounces. The
 * commit returns, and the client gets its 250, only when every recipient is either delivered or
 * durably queued: the promise is the {@link Spool}'s, kept by a Maildir's own fsyncs.
 *
 * <p>A longer message, from the moment it outgrows {@code maxHeld}, is written to the spool as
 * before and delivered by the queue runner. So is a message for which the shared {@link
 * MessageMemory} has no room left when it grows: memory held for messages is budgeted across all
 * sessions, and a flood of clients in DATA costs spool files, never the heap. A message reserves
 * room as its buffer grows (in steps that double) and gives it back when it is committed, spilled
 * or aborted.
 *
 * <h2>Why</h2>
 *
 * For mail delivered on this host the queue file is pure overhead: a file created, written,
 * fsynced, its directory fsynced, read back and unlinked for every message. In session, a message
 * costs one file and one fsync per recipient plus a shared directory fsync, and nothing is ever
 * unlinked, which also spares file systems whose inode allocator pays for recently freed inodes
 * (ext4 without a journal scans past every inode freed in the last minute). Postfix's {@code smtpd}
 * never delivers in the session; mail servers built for throughput (qmail-style local delivery,
 * Exim's {@code queue_only_load} off) do when the delivery is local and cheap.
 *
 * <h2>Failure</h2>
 *
 * A failure to queue the undelivered rest is a failed commit (the session answers 451): the client
 * sends again, and recipients already delivered in this session get the message twice, never not at
 * all. An agent that throws delivered nobody known, so everyone is queued.
 */
public final class InSessionDelivery implements MessageSink {
  private static final Logger log = LoggerFactory.getLogger("delivery");

  /** The default largest message delivered in session: most mail is smaller. */
  public static final int DEFAULT_MAX_HELD = 128 * 1024;

  /** The first buffer of a held message; it doubles as the message grows. */
  private static final int FIRST_BUFFER = 8192;

  private static final byte[] NOTHING = new byte[0];

  private final Spool spool;
  private final DeliveryAgent agent;
  private final Clock clock;
  private final int maxHeld;
  private final MessageMemory memory;
  private final Events events;

  /**
   * @param spool where longer messages, and recipients not delivered in session, are queued
   * @param agent the agent the queue runner uses too
   * @param maxHeld the largest message, in octets, held in memory and delivered in session; 0:
   *     every message is queued, none delivered in session
   * @param memory the budget every held message reserves its buffer from
   * @param events told {@link Event.MessageAccepted} for every message committed, and {@link
   *     Event.Delivery} for every recipient delivered (or not) in session
   */
  public InSessionDelivery(
      Spool spool,
      DeliveryAgent agent,
      Clock clock,
      int maxHeld,
      MessageMemory memory,
      Events events) {
    if (maxHeld < 0) {
      throw new IllegalArgumentException("maxHeld must not be negative");
    }
    this.spool = spool;
    this.agent = agent;
    this.clock = clock;
    this.maxHeld = maxHeld;
    this.memory = memory;
    this.events = events;
  }

  @Override
  public Incoming open(Envelope envelope, TraceInfo trace) throws IOException {
    if (envelope.recipients().isEmpty()) {
      throw new IllegalArgumentException("a message needs at least one recipient");
    }
    return new Held(spool.newId(), envelope, trace);
  }

  /** A message being received: in memory until it outgrows {@code maxHeld}, then queued. */
  private final class Held implements Incoming {
    private final String id;
    private final Envelope envelope;
    private final TraceInfo trace;
    private byte[] held = NOTHING;
    private long reserved; // octets of the memory budget this message holds: held.length
    private int length;
    private long size; // octets received, held or queued
    private @Nullable Incoming queued; // once the message outgrew maxHeld
    private boolean committed;
    private boolean aborted;
    private final OutputStream content =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            hold(b, off, len);
          }

          @Override
          public void flush() throws IOException {
            if (queued != null) {
              queued.content().flush();
            }
          }
        };

    Held(String id, Envelope envelope, TraceInfo trace) {
      this.id = id;
      this.envelope = envelope;
      this.trace = trace;
    }

    private void hold(byte[] b, int off, int len) throws IOException {
      size += len;
      if (queued == null && length + len > held.length) {
        int grown =
            length + len > maxHeld
                ? -1
                : Math.min(
                    maxHeld, Math.max(length + len, Math.max(FIRST_BUFFER, held.length * 2)));
        if (grown > 0 && memory.tryReserve(grown - reserved)) {
          held = Arrays.copyOf(held, grown);
          reserved = grown;
        } else {
          spill();
        }
      }
      if (queued != null) {
        queued.content().write(b, off, len);
        return;
      }
      System.arraycopy(b, off, held, length, len);
      length += len;
    }

    /** Too long, or no room in the budget: the message goes to the spool from here on. */
    private void spill() throws IOException {
      Incoming q = spool.open(id, envelope, trace);
      queued = q;
      q.content().write(held, 0, length);
      drop();
    }

    /** Lets go of the held buffer and its reservation. */
    private void drop() {
      held = NOTHING;
      memory.release(reserved);
      reserved = 0;
    }

    @Override
    public OutputStream content() {
      return content;
    }

    @Override
    public String commit() throws IOException {
      if (aborted) {
        throw new IOException(id + ": message was aborted");
      }
      if (!committed) {
        try {
          if (queued == null && maxHeld == 0) {
            spill(); // an empty message: with maxHeld 0, nothing is delivered in session
          }
          if (queued != null) {
            queued.commit();
          } else {
            deliverOrQueue();
          }
        } catch (IOException | RuntimeException e) {
          abort(); // not durable for everyone: the client gets a 4xx and sends it again
          throw e;
        }
        committed = true;
        drop();
        events.on(new Event.MessageAccepted(id, envelope.recipients().size(), size));
      }
      return id;
    }

    /** Delivers the held message; queues it for the recipients not delivered. */
    private void deliverOrQueue() throws IOException {
      List<ForwardPath> undelivered = deliver();
      if (undelivered.isEmpty()) {
        return;
      }
      Envelope rest =
          new Envelope(
              envelope.reversePath(), undelivered, envelope.bodyType(), envelope.smtpUtf8());
      try (Incoming q = spool.open(id, rest, trace)) {
        q.content().write(held, 0, length);
        q.commit();
      }
      log.info("{}: queued for {} recipient(s) not delivered in session", id, undelivered.size());
    }

    /** One delivery attempt for every recipient; returns those not delivered, in order. */
    private List<ForwardPath> deliver() {
      List<ForwardPath> rcpts = envelope.recipients();
      List<RecipientResult> results;
      try {
        results =
            agent.deliver(
                new DeliveryAgent.Delivery(
                    id,
                    envelope,
                    trace,
                    rcpts,
                    () -> new ByteArrayInputStream(held, 0, length),
                    // a queue ID never issued before: nothing to look for (no directory listing)
                    DeliveryAgent.Prior.NONE));
        if (results.size() != rcpts.size()) {
          throw new IllegalStateException(
              "agent returned " + results.size() + " results for " + rcpts.size() + " recipients");
        }
      } catch (IOException | RuntimeException e) {
        log.error("{}: delivery in session failed; queueing every recipient", id, e);
        return rcpts;
      }
      Instant now = clock.instant();
      List<ForwardPath> undelivered = new ArrayList<>();
      // A permanent failure is queued too, logged as deferred here: the queue runner's next attempt
      // fails it again and sends the DSN, which has one place, there.
      for (RecipientResult r : results) {
        boolean sent = r instanceof RecipientResult.Delivered;
        if (!sent) {
          undelivered.add(r.recipient());
        }
        QueueRunner.logLine(
            events,
            id,
            trace.received(),
            r.recipient(),
            r.relay(),
            now,
            r.status(),
            sent ? Event.Outcome.SENT : Event.Outcome.DEFERRED,
            r.text());
      }
      return undelivered;
    }

    @Override
    public void abort() {
      if (committed || aborted) {
        return;
      }
      aborted = true;
      drop();
      if (queued != null) {
        queued.abort();
      }
    }
  }
}
