package org.mxtrap.smtp.server;

import org.mxtrap.smtp.ClientFacts;
import org.mxtrap.smtp.Transport;

/**
 * One accepted SMTP connection that passed the connection limits and its decision, as handed to the
 * {@link ConnectionHandler}.
 *
 * @param client what the server knows of the client: addresses, layout entry, session ID and the
 *     verified reverse name the admission found
 * @param name the name we give on this connection ({@link SmtpServer#nameOn}): in the greeting, the
 *     EHLO reply and every 421
 * @param transport the socket's streams, with STARTTLS when configured
 */
public record Connection(ClientFacts client, String name, Transport transport) {}
