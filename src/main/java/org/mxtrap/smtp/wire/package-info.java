/**
 * Byte-level SMTP codecs shared by server and client: the bounded CRLF line reader, the DATA reader
 * (end-of-data detection and dot-unstuffing), dot-stuffing, multi-line replies. Pure functions over
 * bytes and streams.
 */
@NullMarked
package org.mxtrap.smtp.wire;

import org.jspecify.annotations.NullMarked;
