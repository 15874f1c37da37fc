package org.mxtrap.core;

import java.util.Objects;

/** The argument of RCPT TO (RFC 5321 4.1.2): the mailbox the message is for. */
public record ForwardPath(Mailbox mailbox) {
  public ForwardPath {
    Objects.requireNonNull(mailbox, "mailbox");
  }

  @Override
  public String toString() {
    return "<" + mailbox + ">";
  }
}
