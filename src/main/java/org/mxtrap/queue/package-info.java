/**
 * The durable spool: accepted messages with their envelope and trace, fsynced before the 250 reply,
 * kept until every recipient is delivered or bounced. The on-disk format is described in the class
 * that writes it.
 */
@NullMarked
package org.mxtrap.queue;

import org.jspecify.annotations.NullMarked;
