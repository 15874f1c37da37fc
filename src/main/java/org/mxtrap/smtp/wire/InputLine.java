package org.mxtrap.smtp.wire;

/**
 * What {@link LineReader#readLine(int)} found: a command line, or why there is none. Every case but
 * {@link End} has consumed the line up to and including its final LF.
 */
public sealed interface InputLine {

  /** A line that ended with CRLF; {@code octets} excludes the CRLF and holds no CR or LF. */
  record Complete(byte[] octets) implements InputLine {}

  /** The line was longer than the limit; it has been read and discarded up to its LF. */
  record TooLong() implements InputLine {}

  /**
   * The line held a bare CR, or ended with a bare LF. Only CRLF ends a line, but we frame the line
   * at the LF so that a client that sends bare LF gets an answer instead of a hang.
   */
  record BareLineEnd() implements InputLine {}

  /** The client closed the connection; a partial line before the end is discarded. */
  record End() implements InputLine {}
}
