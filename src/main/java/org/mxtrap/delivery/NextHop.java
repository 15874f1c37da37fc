package org.mxtrap.delivery;

/**
 * Where a delivery agent hands mail on: the relay of {@code delivery.mode: relay}, the more
 * preferred MX hosts of {@code delivery.mode: mx}. A {@link RecipientVerifier} asks the same hosts,
 * in the same order, through a client of its own.
 *
 * <p>Threading: both methods may be called from many threads at once.
 */
public interface NextHop {

  /** Our name, the protocol and the STARTTLS policy of the agent's own client. */
  SmtpClient.Settings settings();

  /**
   * Opens a session from {@code sessions} with the first of the next hops for mail to {@code
   * domain} that opens one. Never throws for what DNS, the peer or the network does: that is a
   * {@link Connect.Failed} (class 4 when the mail may still go later). The caller closes the
   * session.
   */
  Connect open(SessionSource sessions, String domain);
}
