package org.mxtrap.smtp.wire;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One SMTP reply (RFC 5321 4.2): a three-digit code, an optional RFC 3463 enhanced status code, and
 * one or more lines of text.
 *
 * <p>Wire format, written by {@link #render()}: every line but the last is {@code code "-"}, the
 * last is {@code code " "}; the enhanced status code, when present, follows on every line (RFC 2034
 * section 4); each line ends with CRLF:
 *
 * <pre>
 * 250-mail.example.com
 * 250-PIPELINING
 * 250 SMTPUTF8
 * </pre>
 *
 * <p>Text is made safe for the wire at construction: control characters (which could end a line
 * early when a reply echoes client input) become {@code ?}. The greeting and the EHLO reply carry
 * no enhanced status code (RFC 2034 section 3); every other reply we send has one.
 *
 * @param code 200 to 599
 * @param status {@code class.subject.detail} whose class equals the code's first digit, or null
 * @param lines the text lines, at least one
 */
public record SmtpReply(int code, @Nullable String status, List<String> lines) {

  private static final Pattern STATUS = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");

  public SmtpReply {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("reply code out of range: " + code);
    }
    if (status != null
        && (!STATUS.matcher(status).matches() || status.charAt(0) - '0' != code / 100)) {
      throw new IllegalArgumentException("bad enhanced status " + status + " for " + code);
    }
    if (lines.isEmpty()) {
      throw new IllegalArgumentException("a reply has at least one line");
    }
    lines = lines.stream().map(SmtpReply::printable).toList();
  }

  /** A one-line reply with an enhanced status code: {@code 250 2.0.0 Ok}. */
  public static SmtpReply of(int code, String status, String text) {
    return new SmtpReply(code, status, List.of(text));
  }

  /** True for 2xx and 3xx. */
  public boolean isPositive() {
    return code < 400;
  }

  /** True for 4xx and 5xx: the command was refused. */
  public boolean isNegative() {
    return code >= 400;
  }

  /**
   * The first line without its CRLF, e.g. {@code 550 5.7.1 <a@b>: relay access denied}, for logs.
   */
  public String firstLine() {
    return prefix(' ') + lines.get(0);
  }

  /** The reply in wire format, every line ending with CRLF. */
  public String render() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < lines.size(); i++) {
      b.append(prefix(i == lines.size() - 1 ? ' ' : '-')).append(lines.get(i)).append("\r\n");
    }
    return b.toString();
  }

  /** {@link #render()} as UTF-8 octets (text is ASCII unless it echoes an RFC 6531 address). */
  public byte[] toBytes() {
    return render().getBytes(StandardCharsets.UTF_8);
  }

  private String prefix(char separator) {
    return status == null
        ? code + String.valueOf(separator)
        : code + String.valueOf(separator) + status + " ";
  }

  private static String printable(String s) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        if (b == null) {
          b = new StringBuilder(s);
        }
        b.setCharAt(i, '?');
      }
    }
    return b == null ? s : b.toString();
  }

  @Override
  public String toString() {
    return render().stripTrailing();
  }
}
