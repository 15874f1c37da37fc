package org.mxtrap.smtp;

import java.util.List;
import java.util.Optional;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.Mailbox;

/**
 * The relay check: which forward paths are ours to accept. We are never an open relay, so the
 * answer is no for everything that is not plainly a mailbox in one of our domains, including the
 * old ways of asking a host to forward:
 *
 * <ul>
 *   <li>source routes {@code <@ours:user@other>} (RFC 5321 appendix C),
 *   <li>the percent hack {@code <user%other@ours>} and bang paths {@code <other!user@ours>},
 *   <li>quoted local parts that hide another address, {@code <"user@other"@ours>},
 *   <li>address literals {@code <user@[192.0.2.1]>}, even our own address.
 * </ul>
 *
 * The bare {@code <postmaster>} (RFC 5321 4.5.1) is accepted and delivered to postmaster of the
 * first domain.
 */
final class AcceptedDomains {
  private final List<String> domains;

  /**
   * @param domains lower case, no trailing dot, at least one
   */
  AcceptedDomains(List<String> domains) {
    this.domains = List.copyOf(domains);
  }

  /** The forward path to deliver to, or empty when the path must be refused as relaying. */
  Optional<ForwardPath> localRecipient(Path path) {
    if (!path.atDomainList().isEmpty()) {
      return Optional.empty();
    }
    if (path.isBarePostmaster()) {
      return Optional.of(new ForwardPath(new Mailbox("postmaster", domains.get(0))));
    }
    if (path.addressLiteral() || !domains.contains(path.domain())) {
      return Optional.empty();
    }
    String local = path.localPart();
    // An empty local part (<""@ours>) is ours, not relaying: no mailbox has it (550 5.1.1).
    if (local.indexOf('@') >= 0 || local.indexOf('%') >= 0 || local.indexOf('!') >= 0) {
      return Optional.empty();
    }
    return Optional.of(new ForwardPath(path.mailbox()));
  }
}
