/**
 * Getting spooled mail to where it belongs: the delivery agents (Maildir now; SMTP/LMTP relay and
 * MX forwarding later), the queue runner and its retry schedule, Received headers, bounces.
 */
@NullMarked
package org.mxtrap.delivery;

import org.jspecify.annotations.NullMarked;
