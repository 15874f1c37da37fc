/**
 * Listeners: one virtual thread per connection, connection permits per layout entry, timeouts,
 * STARTTLS over the socket, graceful stop.
 */
@NullMarked
package org.mxtrap.smtp.server;

import org.jspecify.annotations.NullMarked;
