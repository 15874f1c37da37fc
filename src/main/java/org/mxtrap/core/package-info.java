/**
 * Domain values shared by every other package: the MX layout, mailboxes and paths, the envelope and
 * trace facts of a message, and the {@link org.mxtrap.core.MessageSink} port through which the SMTP
 * server hands a message to the queue. JDK only; no I/O, no logging.
 */
@NullMarked
package org.mxtrap.core;

import org.jspecify.annotations.NullMarked;
