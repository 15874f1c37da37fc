package org.mxtrap.smtp.wire;

import java.io.IOException;

/**
 * The peer sent something that is not an SMTP reply (RFC 5321 4.2), or one larger than {@link
 * ReplyReader} accepts. The session cannot be trusted to be in step any more: the caller treats it
 * as a lost connection.
 */
public final class MalformedReplyException extends IOException {
  private static final long serialVersionUID = 1L;

  public MalformedReplyException(String message) {
    super(message);
  }
}
