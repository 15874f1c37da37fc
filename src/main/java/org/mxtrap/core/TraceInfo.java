package org.mxtrap.core;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a message reached us: what the Received header (RFC 5321 4.4) and the stored metadata say
 * about it.
 *
 * @param client the client's address and port
 * @param clientName the client's verified reverse name, or null when unknown
 * @param helo the HELO/EHLO argument as given
 * @param local the address and port the connection arrived on
 * @param entry the layout entry that address belongs to (role and preference)
 * @param protocol the RFC 3848 "with" keyword: SMTP, ESMTP, ESMTPS, UTF8SMTP, UTF8SMTPS
 * @param tls the TLS protocol and cipher suite, e.g. {@code TLSv1.3 TLS_AES_256_GCM_SHA384}, or
 *     null when the session was not encrypted
 * @param received when the message was accepted
 */
public record TraceInfo(
    InetSocketAddress client,
    @Nullable String clientName,
    String helo,
    InetSocketAddress local,
    LayoutEntry entry,
    String protocol,
    @Nullable String tls,
    Instant received) {

  public TraceInfo {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(helo, "helo");
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(received, "received");
  }
}
