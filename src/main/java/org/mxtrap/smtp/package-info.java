/**
 * The SMTP protocol without sockets: the command parser, the session state machine, and every reply
 * we send ({@code Replies}). A session runs over a {@link org.mxtrap.smtp.Transport}, so tests
 * replay transcripts from byte arrays.
 */
@NullMarked
package org.mxtrap.smtp;

import org.jspecify.annotations.NullMarked;
