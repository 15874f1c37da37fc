package org.mxtrap.smtp;

import java.util.ArrayList;
import java.util.List;
import org.mxtrap.core.Action;
import org.mxtrap.core.Admission;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.Sender;
import org.mxtrap.core.Verdict;

/**
 * An {@link Admission} that accepts every connection and records each dictionary report; it answers
 * those with {@link #dictionaryDecision} (by default: suppressed, tempfail); it records each
 * relayed client and answers it with {@link #relayedDecision} (by default: accept); it records each
 * sender a client named, and each decision asked with a sender (answered {@link #senderDecision}).
 */
final class RecordingAdmission implements Admission {
  final List<Integer> dictionaryReports = new ArrayList<>();
  final List<Contact> dictionaryContacts = new ArrayList<>();
  final List<Contact> relayed = new ArrayList<>();
  final List<Sender> identified = new ArrayList<>();
  final List<Sender> decidedWith = new ArrayList<>();
  Decision senderDecision = Decision.accept("test");
  Decision relayedDecision = Decision.accept("relayed");
  Decision dictionaryDecision =
      new Decision(Verdict.DICTIONARY, Action.TEMPFAIL, "dictionary attack", null);

  @Override
  public Decision connect(Contact contact) {
    return Decision.accept("test");
  }

  @Override
  public Decision connect(Contact contact, Sender sender) {
    decidedWith.add(sender);
    return senderDecision;
  }

  @Override
  public Decision earlyTalker(Contact contact) {
    return Decision.accept("test");
  }

  @Override
  public Decision dictionary(Contact contact, int unknownRecipients) {
    dictionaryReports.add(unknownRecipients);
    dictionaryContacts.add(contact);
    return dictionaryDecision;
  }

  @Override
  public void identified(Contact contact, Sender sender) {
    identified.add(sender);
  }

  @Override
  public Decision relayed(Contact contact) {
    relayed.add(contact);
    return relayedDecision;
  }
}
