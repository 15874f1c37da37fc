package org.mxtrap.policy;

import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;

/** Where the engine reports each decision: the decision log, and recent decisions for explain. */
@FunctionalInterface
public interface DecisionSink {

  /** Called once per decision, on the deciding thread; must not throw and must be quick. */
  void decided(Contact contact, Decision decision);
}
