package org.mxtrap.smtp;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.mxtrap.core.Cidr;

/**
 * What every SMTP session of this host is configured with.
 *
 * @param hostname our name in the greeting, the EHLO reply and 421 replies
 * @param acceptedDomains the domains we take mail for, lower case, no trailing dot; the first one
 *     receives mail for the bare {@code <postmaster>}. Must not be empty.
 * @param maxMessageSize octets of message content, announced in EHLO SIZE and enforced
 * @param maxRecipients accepted RCPT per transaction; more get 452 4.5.3
 * @param maxErrors refused commands per session before we answer 421 4.7.0 and close
 * @param commandTimeout the deadline of each whole command line, and the base of the DATA deadline
 * @param minDataRate octets per second of message content a client must keep up
 * @param maxUnknown unknown recipients per session before the client is judged a dictionary
 *     attacker
 * @param trustedRelays the relays allowed to name the client they relay for (XCLIENT), whose
 *     Received header is read when they do not
 */
public record SessionSettings(
    String hostname,
    List<String> acceptedDomains,
    long maxMessageSize,
    int maxRecipients,
    int maxErrors,
    Duration commandTimeout,
    long minDataRate,
    int maxUnknown,
    List<Cidr> trustedRelays) {

  public SessionSettings {
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(commandTimeout, "commandTimeout");
    trustedRelays = List.copyOf(trustedRelays);
    acceptedDomains = acceptedDomains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList();
    if (acceptedDomains.isEmpty()) {
      throw new IllegalArgumentException("at least one accepted domain is needed");
    }
    if (maxMessageSize < 0
        || maxRecipients < 1
        || maxErrors < 1
        || minDataRate < 1
        || maxUnknown < 1
        || commandTimeout.isNegative()
        || commandTimeout.isZero()) {
      throw new IllegalArgumentException("limits must be positive");
    }
  }

  /** Whether {@code client} is one of the trusted relays. */
  public boolean trusts(InetAddress client) {
    return trustedRelays.stream().anyMatch(p -> p.contains(client));
  }

  /** These settings with another name in the greeting, EHLO reply and 421 replies. */
  public SessionSettings withHostname(String name) {
    if (name.equals(hostname)) {
      return this;
    }
    return new SessionSettings(
        name,
        acceptedDomains,
        maxMessageSize,
        maxRecipients,
        maxErrors,
        commandTimeout,
        minDataRate,
        maxUnknown,
        trustedRelays);
  }
}
