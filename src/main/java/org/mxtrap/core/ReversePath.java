package org.mxtrap.core;

import org.jspecify.annotations.Nullable;

/**
 * The argument of MAIL FROM (RFC 5321 4.1.2): a mailbox, or the null path {@code <>} used by
 * delivery status notifications.
 */
public record ReversePath(@Nullable Mailbox mailbox) {
  public static final ReversePath NULL = new ReversePath(null);

  public boolean isNull() {
    return mailbox == null;
  }

  /** {@code <>} or {@code <local@domain>}. */
  @Override
  public String toString() {
    return mailbox == null ? "<>" : "<" + mailbox + ">";
  }
}
