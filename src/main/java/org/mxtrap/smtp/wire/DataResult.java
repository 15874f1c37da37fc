package org.mxtrap.smtp.wire;

import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * What {@link DataReader#read} found. Every outcome but {@link Outcome#END_OF_INPUT} means the
 * content has been read up to and including the end-of-data line; anything after it is still
 * buffered in the {@link LineReader}.
 *
 * @param outcome the first problem found, or {@link Outcome#COMPLETE}
 * @param size octets of content after dot-unstuffing, CRLFs included, counted to the real end even
 *     when writing stopped early
 * @param sinkFailure the exception of the output stream when the outcome is {@link
 *     Outcome#SINK_FAILED}, else null
 */
public record DataResult(Outcome outcome, long size, @Nullable IOException sinkFailure) {

  /**
   * The first violation wins; after it, nothing more is written to the output and the message must
   * be discarded (only {@link #COMPLETE} may be committed).
   */
  public enum Outcome {
    /** Content ended with CRLF.CRLF and broke no rule; every octet was written. */
    COMPLETE,
    /** More octets than the size limit (RFC 1870); answer 552 5.3.4. */
    TOO_BIG,
    /** A line over 1000 octets including CRLF (RFC 5321 4.5.3.1.6); answer 500 5.5.2. */
    LINE_TOO_LONG,
    /** A CR not followed by LF, or an LF not preceded by CR; refuse, 550 5.6.11. */
    BARE_LINE_END,
    /** A NUL octet; refuse, 550 5.6.0. */
    NUL,
    /** The output stream threw; the message is lost, answer 451 4.3.0. */
    SINK_FAILED,
    /** The client closed the connection before the end of data. */
    END_OF_INPUT
  }

  public boolean isComplete() {
    return outcome == Outcome.COMPLETE;
  }
}
