package org.mxtrap.core;

/**
 * Which mailboxes of our domains exist: asked at RCPT for every recipient the relay check let
 * through, so that mail for a mailbox nobody reads is refused with {@code 550 5.1.1} instead of
 * accepted and stored (PRODUCT.md, {@code recipients}).
 *
 * <p>Implementations answer from memory (a list reloaded in the background) or from a cache; they
 * never throw, and are safe to call from many threads at once.
 */
public interface Mailboxes {

  /** The three outcomes of an outside lookup (STYLE.md rule 3). */
  enum Answer {
    /** The mailbox exists: accept the recipient. */
    EXISTS,
    /** The mailbox does not exist: {@code 550 5.1.1}. */
    UNKNOWN,
    /** It cannot be told now (a list that cannot be read, a next hop that did not answer). */
    CANNOT_TELL
  }

  Answer lookup(Mailbox mailbox);

  /** {@code recipients.mode: any}: every mailbox in our domains exists. */
  Mailboxes ANY = mailbox -> Answer.EXISTS;
}
