package org.mxtrap.smtp;

import java.util.ArrayList;
import java.util.List;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.ReversePath;

/**
 * The transaction state of RFC 5321 3.3: opened by MAIL, grown by each accepted RCPT, ended by the
 * end of DATA, RSET, HELO/EHLO or STARTTLS.
 *
 * @param recipients the accepted forward paths, in the order given
 */
record MailTransaction(
    ReversePath reversePath, MailParameters parameters, List<ForwardPath> recipients) {

  MailTransaction {
    recipients = List.copyOf(recipients);
  }

  /** True when a recipient already accepted reaches the same mailbox ({@link Mailbox#folded}). */
  boolean hasMailbox(Mailbox mailbox) {
    Mailbox folded = mailbox.folded();
    for (ForwardPath r : recipients) {
      if (r.mailbox().folded().equals(folded)) {
        return true;
      }
    }
    return false;
  }

  MailTransaction withRecipient(ForwardPath recipient) {
    List<ForwardPath> more = new ArrayList<>(recipients);
    more.add(recipient);
    return new MailTransaction(reversePath, parameters, more);
  }
}
