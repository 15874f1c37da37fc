package org.mxtrap.smtp.server;

import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.smtp.Transport;

/**
 * One accepted SMTP connection that passed the connection limits, as handed to the {@link
 * ConnectionHandler}.
 *
 * @param id a short unique session ID for logs (Postfix's process-ID slot)
 * @param remote the client's address and port
 * @param local the address and port the client connected to
 * @param entry the layout entry {@code local} belongs to: the connection's role and preference
 * @param transport the socket's streams, with STARTTLS when configured
 * @param reverseName the client's verified reverse DNS name, as the admission found it; null when
 *     there is none
 */
public record Connection(
    String id,
    InetSocketAddress remote,
    InetSocketAddress local,
    LayoutEntry entry,
    Transport transport,
    @Nullable String reverseName) {}
