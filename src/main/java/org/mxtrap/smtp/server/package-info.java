/**
 * Listeners: one virtual thread per connection, connection permits per layout entry, timeouts,
 * STARTTLS over the socket, the tarpit's pacing (one thread for every held connection), graceful
 * stop.
 */
@NullMarked
package org.mxtrap.smtp.server;

import org.jspecify.annotations.NullMarked;
