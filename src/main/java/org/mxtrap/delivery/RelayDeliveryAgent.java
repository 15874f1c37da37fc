package org.mxtrap.delivery;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mxtrap.core.Addresses;

/**
 * {@code delivery.mode: relay}: hands every message, for all its recipients at once, to one SMTP or
 * LMTP server (a Dovecot, Exchange or Postfix behind this primary), which decides about mailboxes.
 * Every recipient is given to the relay, ours or not (DSNs to remote senders too: the relay
 * delivers them onwards or refuses them).
 *
 * <h2>An attempt</h2>
 *
 * Each attempt is one transaction through the {@link ConnectionCache}: while the relay has a
 * backlog (the queue runner's attempts run on many threads at once) a session idle after an earlier
 * message is reused, else one is opened and closed (QUIT) after the transaction. The cache measures
 * idleness on the system clock. The relay's address is found at every attempt: a name with the
 * JDK's resolver (the system's, {@code /etc/hosts} included, which is what a relay on the site's
 * own network is named in; no MX lookup), each of its addresses tried in order until one opens a
 * session; an IP literal needs no lookup. A name that does not resolve defers every recipient
 * ({@code 4.4.3}), as does a relay none of whose addresses opens a session (the last address's
 * failure, straight from the client).
 *
 * <p>The message goes with our {@code Received:} header in front ({@link ReceivedHeader}, naming
 * the recipient only when there is one), so the relay and everyone after it see how it reached us;
 * no {@code Return-Path:}, which is for final delivery. The client's results are the agent's, one
 * per recipient: 2xx delivered, 4xx deferred, 5xx failed (the queue runner sends the DSN).
 *
 * <h2>Repetition</h2>
 *
 * A relay cannot be asked whether it already has a message, so {@link Prior#UNKNOWN} is delivered
 * again like {@link Prior#NONE}: after a crash between the relay's 250 and the spool's record, the
 * relay gets the message twice. RFC 5321 6.1 prefers that duplicate to a loss; the same holds for a
 * reply lost after the end of data ({@link ClientSession}).
 *
 * <p>Threading: {@link #deliver} may be called from many threads at once. {@link #close()} after
 * the last delivery.
 */
public final class RelayDeliveryAgent implements DeliveryAgent, NextHop, AutoCloseable {

  /** 4.4.3: directory server failure (the relay's name could not be resolved). */
  static final EnhancedStatus NO_ADDRESS = new EnhancedStatus(4, 4, 3);

  private final SmtpClient client;
  private final ConnectionCache sessions;
  private final String host;
  private final int port;

  /**
   * @param settings our name (also the {@code by} of our Received header), the protocol the relay
   *     speaks, STARTTLS and timeouts
   * @param host the relay: a domain name or an IP address literal
   */
  public RelayDeliveryAgent(SmtpClient.Settings settings, String host, int port) {
    this.client = new SmtpClient(settings);
    this.host = Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range 1..65535: " + port);
    }
    this.port = port;
    this.sessions = new ConnectionCache(client, ConnectionCache.Limits.DEFAULTS, Clock.systemUTC());
  }

  @Override
  public List<RecipientResult> deliver(Delivery d) throws IOException {
    OutboundMessage message = OutboundMessage.of(d, d.recipients(), client.settings().heloName());
    switch (open(sessions, "")) {
      case Connect.Open(ClientSession session) -> {
        return sessions.send(session, message);
      }
      case Connect.Failed failed -> {
        return failed.resultsFor(d.recipients());
      }
    }
  }

  @Override
  public SmtpClient.Settings settings() {
    return client.settings();
  }

  /** The relay, whatever the domain: each of its addresses in turn until one opens a session. */
  @Override
  public Connect open(SessionSource through, String domain) {
    List<InetAddress> addresses;
    try {
      addresses = addresses();
    } catch (UnknownHostException e) {
      String relay = host + ":" + port;
      return new Connect.Failed(relay, NO_ADDRESS, "cannot resolve the relay " + host + ": " + e);
    }
    Connect.Failed last = null;
    for (InetAddress a : addresses) {
      switch (through.open(host, new InetSocketAddress(a, port))) {
        case Connect.Open open -> {
          return open;
        }
        case Connect.Failed failed -> last = failed;
      }
    }
    return Objects.requireNonNull(last, "a name resolves to at least one address");
  }

  /** The relay's addresses: the literal, or what the JDK's resolver has for the name now. */
  private List<InetAddress> addresses() throws UnknownHostException {
    Optional<InetAddress> literal = Addresses.parse(host);
    if (literal.isPresent()) {
      return List.of(literal.get());
    }
    return List.of(InetAddress.getAllByName(host));
  }

  @Override
  public void close() {
    sessions.close();
    client.close();
  }
}
