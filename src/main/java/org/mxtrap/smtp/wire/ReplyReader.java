package org.mxtrap.smtp.wire;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads one whole SMTP reply from a peer: the client's inverse of {@link SmtpReply#render()}.
 *
 * <p>Accepted (RFC 5321 4.2 and 4.2.1): lines {@code code "-" [text] CRLF}, then one line {@code
 * code [" " text] CRLF}, the same code on every line, the code three digits of which the first is 2
 * to 5 and the second 0 to 5. The text may be empty, with or without the space. When every line's
 * text starts with the same RFC 3463 enhanced status code of the reply's class (RFC 2034 section
 * 4), it becomes {@link SmtpReply#status()} and is taken off each line; otherwise the text is kept
 * whole and the status is null. Text is decoded as UTF-8 (a peer may echo an RFC 6531 address).
 *
 * <p>Everything else is a {@link MalformedReplyException}: a bad or changing code, a line ended by
 * a bare CR or LF, a line over {@value #MAX_LINE} octets, or more than {@value #MAX_LINES} lines.
 * The bounds keep a hostile peer from making us hold more than about {@code MAX_LINE * MAX_LINES}
 * octets; they are four times the RFC's 512-octet reply line (real servers exceed it, as Postfix's
 * {@code line_length_limit} of 2048 allows), and far more lines than any EHLO reply has.
 *
 * <p>The end of input before a whole reply is an {@link EOFException}. Timeouts and other
 * exceptions of the stream propagate unchanged.
 */
public final class ReplyReader {
  /** The longest reply line accepted, CRLF included. */
  public static final int MAX_LINE = 2048;

  /** The most lines in one reply. */
  public static final int MAX_LINES = 100;

  private static final Pattern STATUS = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");

  private ReplyReader() {}

  /** Reads the next reply; blocks until its last line has arrived. */
  public static SmtpReply read(LineReader in) throws IOException {
    int code = -1;
    List<String> lines = new ArrayList<>();
    while (true) {
      String line =
          switch (in.readLine(MAX_LINE)) {
            case InputLine.Complete c -> new String(c.octets(), StandardCharsets.UTF_8);
            case InputLine.TooLong t ->
                throw new MalformedReplyException("reply line over " + MAX_LINE + " octets");
            case InputLine.BareLineEnd b ->
                throw new MalformedReplyException("reply line with a bare CR or LF");
            case InputLine.End e -> throw new EOFException("connection closed within a reply");
          };
      int lineCode = code(line);
      if (code >= 0 && lineCode != code) {
        throw new MalformedReplyException("reply code changed from " + code + ": " + line);
      }
      code = lineCode;
      if (lines.size() == MAX_LINES) {
        throw new MalformedReplyException("reply of more than " + MAX_LINES + " lines");
      }
      boolean last = line.length() == 3 || line.charAt(3) == ' ';
      if (!last && line.charAt(3) != '-') {
        throw new MalformedReplyException("no space or hyphen after the reply code: " + line);
      }
      lines.add(line.length() == 3 ? "" : line.substring(4));
      if (last) {
        return withStatus(code, lines);
      }
    }
  }

  private static int code(String line) throws MalformedReplyException {
    if (line.length() < 3
        || line.charAt(0) < '2'
        || line.charAt(0) > '5'
        || line.charAt(1) < '0'
        || line.charAt(1) > '5'
        || line.charAt(2) < '0'
        || line.charAt(2) > '9') {
      throw new MalformedReplyException("not a reply code: " + line);
    }
    return Integer.parseInt(line.substring(0, 3));
  }

  /** Takes the enhanced status off the lines when every line starts with the same one. */
  private static SmtpReply withStatus(int code, List<String> lines) {
    String status = status(code, lines.getFirst());
    if (status == null) {
      return new SmtpReply(code, null, lines);
    }
    List<String> texts = new ArrayList<>(lines.size());
    for (String line : lines) {
      if (!status.equals(status(code, line))) {
        return new SmtpReply(code, null, lines);
      }
      texts.add(line.length() == status.length() ? "" : line.substring(status.length() + 1));
    }
    return new SmtpReply(code, status, texts);
  }

  /** The status that starts {@code text}, followed by a space or nothing, or null. */
  private static @Nullable String status(int code, String text) {
    int end = text.indexOf(' ');
    String word = end < 0 ? text : text.substring(0, end);
    return STATUS.matcher(word).matches() && word.charAt(0) - '0' == code / 100 ? word : null;
  }
}
