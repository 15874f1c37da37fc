package org.mxtrap.smtp;

import java.net.InetSocketAddress;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.LayoutEntry;

/**
 * What the server knows about one connection before the session starts.
 *
 * @param remote the client's address and port
 * @param local the address and port the connection arrived on
 * @param entry the layout entry {@code local} belongs to (role and preference)
 * @param sessionId an ID unique on this host, for logs
 * @param reverseName the client's verified reverse DNS name, or null when unknown
 * @param decideAtMail the engine decides about this client after its MAIL FROM ({@link
 *     org.mxtrap.core.Admission#decidesAtMail}): the session asks it then, or at its end
 */
public record ClientFacts(
    InetSocketAddress remote,
    InetSocketAddress local,
    LayoutEntry entry,
    String sessionId,
    @Nullable String reverseName,
    boolean decideAtMail) {

  /** A client decided at the greeting. */
  public ClientFacts(
      InetSocketAddress remote,
      InetSocketAddress local,
      LayoutEntry entry,
      String sessionId,
      @Nullable String reverseName) {
    this(remote, local, entry, sessionId, reverseName, false);
  }

  public ClientFacts {
    Objects.requireNonNull(remote, "remote");
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(sessionId, "sessionId");
  }
}
