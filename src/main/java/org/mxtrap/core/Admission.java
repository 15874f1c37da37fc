package org.mxtrap.core;

/**
 * The one port through which the SMTP server and the Postfix policy server ask the trap engine
 * about a client. Implementations record what they are told before they answer, never throw for a
 * policy reason, and are safe to call from many threads at once.
 */
public interface Admission {

  /**
   * A connection was accepted: record the contact and decide how it is answered. Called once per
   * connection, before anything is sent, also for connections that the connection limits turn away
   * ({@link Contact#turnedAway()}): they count as contacts, the server answers them its own 421,
   * and the decision about one is always {@link Action#TEMPFAIL}, so that what is logged is what
   * the client got.
   */
  Decision connect(Contact contact);

  /**
   * {@link #connect}, by a front door that knows what the client said of itself before it asks (the
   * Postfix policy service is asked at RCPT time, after HELO and MAIL FROM): the same decision,
   * with the sender as evidence and as an identity that may excuse a fallback.
   */
  default Decision connect(Contact contact, Sender sender) {
    return connect(contact);
  }

  /**
   * Whether a contact with {@code entry} that the lists do not settle is decided only once its
   * client has said who it is ({@code trap.decide_at: mail}): then {@link #connect} answers it with
   * an {@link Verdict#ACCEPT} that only lets the session go on, logs nothing, and the session asks
   * {@link #connect(Contact, Sender)} at MAIL FROM, or when it ends before one, for the decision.
   */
  default boolean decidesAtMail(LayoutEntry entry) {
    return false;
  }

  /**
   * The client of {@code contact}, which {@link #connect} served, named its sender (MAIL FROM):
   * remembered as the identity of its contact, which may excuse a fallback of the same sender
   * later. No decision.
   */
  default void identified(Contact contact, Sender sender) {}

  /**
   * The client of {@code contact} sent data before the greeting (only asked when a greeting delay
   * is configured): decide, and suppress when the policy says so.
   */
  Decision earlyTalker(Contact contact);

  /**
   * The client of {@code contact} has asked for {@code unknownRecipients} mailboxes that do not
   * exist in one session, which is {@code recipients.max_unknown} or more: a dictionary attack.
   * Decide (verdict {@link Verdict#DICTIONARY}), and suppress when the policy says so. The session
   * ends with the decision's answer whatever it is, unless the decision serves.
   */
  Decision dictionary(Contact contact, int unknownRecipients);

  /**
   * A trusted relay named the client it received a message from ({@link Contact#relay()} is set):
   * judge that client as its own connection to {@code contact.entry()} would be judged by the lists
   * of addresses, the suppressions and the DNSBLs. The checks of the MX layout (fallback, traps,
   * backup skip) do not apply, for the client did not connect here; no contact is recorded. The
   * caller never refuses the relay's mail for this decision (mail a backup accepted is never
   * refused later, which would make backscatter): it logs it and marks the message.
   */
  Decision relayed(Contact contact);

  /**
   * Whether {@link #connect} decides from what this process holds and never waits on the network
   * (no DNS lookup, no shared state): a caller that must answer within a deadline may then call it
   * on a thread that serves other clients too. A change it makes is still written to the local disk
   * before it returns (a suppression, a log line).
   */
  default boolean decidesFromMemory() {
    return false;
  }
}
