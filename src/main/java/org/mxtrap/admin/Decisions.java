package org.mxtrap.admin;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.Verdict;

/** The decisions made since start: counted for {@code status}, the recent ones for explain. */
public interface Decisions {

  /** One remembered decision about one contact. */
  record Remembered(Contact contact, Decision decision) {}

  /** How many decisions of each verdict were made since start, every verdict present. */
  Map<Verdict, Long> counts();

  /** The remembered decisions about {@code client}, oldest first. */
  List<Remembered> about(InetAddress client);
}
