package org.mxtrap.observe;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;

/**
 * Something that happened on this host, as facts (never reply text), told through {@link Events} by
 * the code where it happened. The decision log, the admin counters and (later) the metrics are
 * listeners; none of them is ever asked by the code that emits.
 *
 * <p>Labels that a metric could group by are enums or layout entries, never a client address, so
 * that a listener can count without an unbounded label set.
 */
public sealed interface Event {

  /** A connection on {@code entry} passed the connection limits; its decision follows. */
  record Connected(InetAddress client, LayoutEntry entry) implements Event {}

  /**
   * A connection was turned away before any decision was answered: {@code entry} is null when the
   * address it arrived on belongs to no layout entry.
   */
  record Refused(InetAddress client, @Nullable LayoutEntry entry, Refusal refusal)
      implements Event {}

  /** Why a connection was turned away by the server itself. */
  enum Refusal {
    /** It arrived on an address of no layout entry. */
    NO_LAYOUT_ENTRY,
    /** The entry serves {@code limits.max_connections} already. */
    CONNECTION_LIMIT,
    /** The client has {@code limits.max_per_ip} connections on the entry already. */
    CLIENT_LIMIT
  }

  /** The trap engine decided about a contact (connect, early talker, dictionary attack). */
  record Decided(Contact contact, Decision decision) implements Event {
    public Decided {
      Objects.requireNonNull(contact, "contact");
      Objects.requireNonNull(decision, "decision");
    }
  }

  /**
   * A message was acknowledged with 250: it is delivered or durably queued for every recipient.
   *
   * @param size octets of content as received
   */
  record MessageAccepted(String queueId, int recipients, long size) implements Event {}

  /** One recipient's delivery attempt ended: the line the delivery log writes for it. */
  record Delivery(String queueId, Outcome outcome, String relay) implements Event {}

  /** What a delivery attempt did for one recipient. */
  enum Outcome {
    SENT,
    DEFERRED,
    BOUNCED,
    /** Deferred once too often: {@code queue.max_age} passed, and the sender is told. */
    EXPIRED
  }

  /** {@code prefix} is suppressed until {@code until}, for its {@code offences}-th offence. */
  record Suppressed(Cidr prefix, Instant until, int offences, String reason) implements Event {}

  /** {@code count} suppressions ended (their time was up) since the last such event. */
  record SuppressionsExpired(int count) implements Event {}

  /**
   * A store could not do {@code operation}; the answer that needed it went out without it.
   *
   * @param store which store: {@code suppressions}, {@code contacts}, {@code availability}
   */
  record StoreFailed(String store, String operation, RuntimeException error) implements Event {}

  /**
   * This host's view of the shared state became partial ({@link
   * org.mxtrap.state.StateView#partial}): told once per outage, at its start.
   *
   * @param reason why, in words: what failed and how
   */
  record StatePartial(String reason) implements Event {}

  /**
   * This host's view of the shared state is whole again: the store answers, what this host recorded
   * while it could not is written, and what it missed is read.
   *
   * @param partialFor how long the view was partial
   * @param replayed contacts and suppressions recorded here meanwhile and written now
   */
  record StateWhole(Duration partialFor, long replayed) implements Event {}

  /** The tarpit took a connection or let one go: {@code held} connections are held now. */
  record TarpitHeld(int held) implements Event {}

  /**
   * A call to a store returned, or threw, after {@code took}: told by the timing decorator around
   * the store, once per call.
   *
   * @param store which store: {@code suppressions}
   * @param operation the method called: {@code find}, {@code offend}, {@code add}, {@code remove},
   *     {@code active}, {@code count}, {@code history}, {@code maintain}, {@code stored}, {@code
   *     restore}
   */
  record StoreCalled(String store, String operation, Duration took) implements Event {}

  /**
   * The resolver asked DNS about one name and type (an answer from its cache is not told): the
   * outcome after {@code took}, every try and CNAME on the way included.
   */
  record DnsAsked(RecordType type, Lookup outcome, Duration took) implements Event {}

  /** The record types mxtrap looks up. */
  enum RecordType {
    A,
    AAAA,
    PTR,
    MX,
    TXT
  }

  /** What a DNS lookup came to (STYLE.md rule 3: three outcomes, never folded). */
  enum Lookup {
    /** Records of the type asked. */
    FOUND,
    /** NXDOMAIN or NODATA. */
    NONE,
    /** The lookup could not be made: timeout, SERVFAIL, a network error. */
    UNKNOWN
  }

  /**
   * One DNS blocklist of {@code dnsbl.zones} answered about a client (or did not, within {@code
   * dnsbl.timeout}: then {@link Listing#UNKNOWN}) after {@code took}.
   */
  record DnsblAsked(String zone, Listing outcome, Duration took) implements Event {}

  /** What a blocklist said about a client. */
  enum Listing {
    LISTED,
    NOT_LISTED,
    /** Nothing is known: no answer, a refusal code, or an answer that is not a DNSBL's. */
    UNKNOWN
  }

  /**
   * The suppression of exactly {@code prefix} was ended before its time, by an operator (a
   * suppression that runs out is told by {@link SuppressionsExpired}).
   */
  record SuppressionRemoved(Cidr prefix) implements Event {}
}
