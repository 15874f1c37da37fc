package org.mxtrap.delivery;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.dns.MxLocator;
import org.mxtrap.dns.MxOrder;
import org.mxtrap.dns.TargetHost;
import org.mxtrap.dns.ThisHost;

/**
 * {@code delivery.mode: mx}, a backup MX: forwards each message to the MX hosts of its recipients'
 * domains that are more preferred than this host, as RFC 5321 5.1 tells an MX host that forwards
 * mail. The order comes from {@link MxLocator} with this host as {@link ThisHost self} (every
 * layout address this host serves, traps included, and its names), which drops this host and every
 * MX no better than it, so that mail never loops back here.
 *
 * <h2>An attempt</h2>
 *
 * Recipients are grouped by domain, in envelope order; each domain is one transaction to the first
 * address of its order that opens a session, through the {@link ConnectionCache}: a session idle
 * after an earlier message to that address is reused while the address has a backlog (a flush after
 * the primary's return), else a new one is opened and closed after it. The port of an address is
 * the layout's (the entry of that MX host and address, else the most preferred entry with that
 * address), 25 for an address outside the layout; an address whose entry is a trap is never used.
 * Every retry and fallback decision is in {@link #open}, which {@link RecipientVerifier} uses too.
 *
 * <h2>Dead-host memory</h2>
 *
 * An address that failed to open a session is remembered for {@link #DEAD_HOST_MEMORY} and skipped
 * until then, so that the next message does not wait out the same connect or greeting timeout again
 * (Postfix marks such a host dead for its destination in the same spirit). The queue runner's
 * backoff brings the message back after it.
 *
 * <p>A message that was forwarded twice (a crash between the peer's 250 and the spool's record) is
 * a duplicate, which RFC 5321 6.1 prefers to a loss, as in {@link RelayDeliveryAgent}.
 *
 * <p>Threading: {@link #deliver} may be called from many threads at once; the {@link MxLocator}
 * given must then be thread-safe. {@link #close()} after the last delivery.
 */
public final class MxDeliveryAgent implements DeliveryAgent, NextHop, AutoCloseable {

  /** How long an address that failed to open a session is not tried again. */
  static final Duration DEAD_HOST_MEMORY = Duration.ofMinutes(1);

  /** The port of an MX address that is not in the layout. */
  static final int SMTP_PORT = 25;

  /**
   * 4.4.4: unable to route. No MX more preferred than this host has a known address, or this host
   * is the most preferred MX: the primary may come back, so the mail waits (never a loop, and never
   * a bounce while the queue may still deliver it).
   */
  static final EnhancedStatus NO_BETTER_HOST = EnhancedStatus.TEMP_UNABLE_TO_ROUTE;

  /** 4.4.3: the lookups that decide the order could not be made. */
  static final EnhancedStatus DNS_UNKNOWN = new EnhancedStatus(4, 4, 3);

  /** 5.1.2: the domain accepts no mail (null MX, no such domain, no host with an address). */
  static final EnhancedStatus BAD_DESTINATION = new EnhancedStatus(5, 1, 2);

  private final SmtpClient client;
  private final ConnectionCache sessions;
  private final MxLocator locator;
  private final ThisHost self;
  private final Layout layout;
  private final Clock clock;
  // Addresses that failed to open a session within DEAD_HOST_MEMORY, with the failure and until
  // when it is kept; expired ones are dropped whenever one is added.
  private final Map<InetSocketAddress, Remembered> dead = new ConcurrentHashMap<>();

  private record Remembered(Connect.Failed failure, Instant until) {}

  /**
   * @param settings our name (the EHLO argument and the {@code by} of our Received header), SMTP,
   *     STARTTLS and timeouts
   * @param self the names and addresses of this host, from the layout entries it serves
   * @param layout the ports of MX addresses, and which are traps
   * @param clock the time of the dead-host memory and of the connection cache
   */
  public MxDeliveryAgent(
      SmtpClient.Settings settings, MxLocator locator, ThisHost self, Layout layout, Clock clock) {
    if (settings.protocol() != Protocol.SMTP) {
      throw new IllegalArgumentException("MX hosts speak SMTP: " + settings.protocol());
    }
    this.client = new SmtpClient(settings);
    this.locator = Objects.requireNonNull(locator, "locator");
    this.self = Objects.requireNonNull(self, "self");
    this.layout = Objects.requireNonNull(layout, "layout");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.sessions = new ConnectionCache(client, ConnectionCache.Limits.DEFAULTS, clock);
  }

  @Override
  public List<RecipientResult> deliver(Delivery d) throws IOException {
    Map<String, List<ForwardPath>> byDomain = new LinkedHashMap<>();
    for (ForwardPath r : d.recipients()) {
      byDomain.computeIfAbsent(r.mailbox().domain(), k -> new ArrayList<>()).add(r);
    }
    Map<ForwardPath, RecipientResult> results = new LinkedHashMap<>();
    for (Map.Entry<String, List<ForwardPath>> e : byDomain.entrySet()) {
      List<ForwardPath> recipients = e.getValue();
      List<RecipientResult> forwarded = forward(d, e.getKey(), recipients);
      for (int i = 0; i < recipients.size(); i++) {
        results.put(recipients.get(i), forwarded.get(i));
      }
    }
    return d.recipients().stream().map(results::get).toList();
  }

  /** One transaction for the recipients of one domain, with the first MX address that opens. */
  private List<RecipientResult> forward(Delivery d, String domain, List<ForwardPath> recipients)
      throws IOException {
    OutboundMessage message = OutboundMessage.of(d, recipients, client.settings().heloName());
    switch (open(sessions, domain)) {
      case Connect.Open(ClientSession session) -> {
        // A session: its answers are final for this attempt. A 4xx to MAIL or RCPT is the
        // recipient's and is deferred, not tried at the next MX (Postfix moves on only when
        // the connection, greeting or EHLO fails); a 5xx fails the recipient.
        return sessions.send(session, message);
      }
      case Connect.Failed failed -> {
        return failed.resultsFor(recipients);
      }
    }
  }

  @Override
  public SmtpClient.Settings settings() {
    return client.settings();
  }

  /**
   * A session through {@code through} with the first address of {@code domain}'s MX order that
   * opens one: every retry and fallback decision of this mode, a comment per case. The dead-host
   * memory is this agent's whatever the client: a failure to open through any client is remembered.
   */
  @Override
  public Connect open(SessionSource through, String domain) {
    MxOrder.Ordered order;
    switch (locator.locate(domain, self)) {
      case MxOrder.Ordered o -> order = o;
      case MxOrder.Failed f -> {
        return failed(f);
      }
    }
    Connect.Failed last = null;
    Instant now = clock.instant();
    for (TargetHost host : order.hosts()) {
      for (InetAddress address : host.addresses()) {
        LayoutEntry entry = entryFor(host.host(), address);
        if (entry != null && entry.role() == Role.TRAP) {
          // A trap is never a next hop: it turns mail away, and it would count us as a stranger.
          continue;
        }
        InetSocketAddress target =
            new InetSocketAddress(address, entry == null ? SMTP_PORT : entry.port());
        Remembered r = dead.get(target);
        if (r != null && now.isBefore(r.until())) {
          // Failed a moment ago: skipped without waiting out its timeout again.
          last = r.failure();
          continue;
        }
        switch (through.open(host.host(), target)) {
          case Connect.Open open -> {
            dead.remove(target);
            return open;
          }
          case Connect.Failed failed -> {
            // Refused, timed out, 421 or 5xx at the greeting or EHLO, TLS that policy required:
            // the next address.
            // Expired memories go first: DSNs to forged senders make MX lookups of any domain,
            // so only the addresses that failed within DEAD_HOST_MEMORY are ever kept.
            dead.values().removeIf(old -> !now.isBefore(old.until()));
            dead.put(target, new Remembered(failed, now.plus(DEAD_HOST_MEMORY)));
            last = failed;
          }
        }
      }
    }
    if (last == null) {
      // Only traps were left (a layout whose traps DNS publishes below this host's preference).
      return new Connect.Failed(
          domain, NO_BETTER_HOST, "no MX more preferred than this host but traps for " + domain);
    }
    // No address opened a session. Even a 5xx greeting is the host's, not the recipient's: the mail
    // waits for the queue's next attempt (Postfix's smtp_skip_5xx_greeting moves on the same way).
    return temporary(last);
  }

  /** The failure to locate {@code domain}'s hosts as the recipients' result. */
  private static Connect.Failed failed(MxOrder.Failed f) {
    EnhancedStatus status =
        switch (f.failure()) {
          // RFC 5321 5.1: this host must not forward to itself or to a worse MX; the better ones
          // may come back, so the mail waits. Even LOOPS_BACK (this host the most preferred MX) is
          // a DNS change away from deliverable, and bouncing accepted mail makes backscatter.
          case NO_BETTER_HOST, LOOPS_BACK -> NO_BETTER_HOST;
          case UNKNOWN -> DNS_UNKNOWN;
          case NULL_MX, NO_SUCH_DOMAIN, NO_ADDRESS -> BAD_DESTINATION;
        };
    return new Connect.Failed(f.domain(), status, f.reason());
  }

  /** {@code f} as a temporary failure: class 5 becomes class 4 with the same detail. */
  private static Connect.Failed temporary(Connect.Failed f) {
    EnhancedStatus s = f.status();
    return s.statusClass() == 4
        ? f
        : new Connect.Failed(f.relay(), new EnhancedStatus(4, s.subject(), s.detail()), f.text());
  }

  /**
   * The layout entry that serves {@code address} for the MX host {@code host}: the one with both,
   * else the most preferred with that address (several entries share one address on different ports
   * in local setups); null when the address is outside the layout.
   */
  private @Nullable LayoutEntry entryFor(String host, InetAddress address) {
    LayoutEntry first = null;
    for (LayoutEntry e : layout.entries()) {
      if (Addresses.sameHost(e.address(), address)) {
        if (e.host().equalsIgnoreCase(host)) {
          return e;
        }
        if (first == null) {
          first = e;
        }
      }
    }
    return first;
  }

  /**
   * {@code target} answers again (a probe of its layout entry saw its 220): it is no longer skipped
   * as dead, so the next attempt connects to it at once.
   */
  public void answering(InetSocketAddress target) {
    dead.remove(target);
  }

  /** Addresses held in the dead-host memory now, expired ones not yet dropped included. */
  int remembered() {
    return dead.size();
  }

  @Override
  public void close() {
    sessions.close();
    client.close();
  }
}
