package org.mxtrap.delivery;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.mxtrap.smtp.wire.SmtpReply;

/**
 * The service extensions a peer announced in its EHLO or LHLO reply (RFC 5321 4.1.1.1): one keyword
 * per line after the first, then its parameters.
 *
 * @param maxSize -1 when SIZE was not announced, 0 when it was without a limit (RFC 1870), else the
 *     largest message the peer accepts, in octets
 * @param xclient the XCLIENT attributes the peer takes (Postfix's XCLIENT_README), upper case;
 *     empty when it does not offer XCLIENT
 */
record Extensions(
    boolean startTls,
    boolean pipelining,
    boolean eightBitMime,
    boolean smtpUtf8,
    long maxSize,
    Set<String> xclient) {

  private static final Pattern SPACES = Pattern.compile(" +");

  /** What a peer that answered HELO has: nothing. */
  static final Extensions NONE = new Extensions(false, false, false, false, -1, Set.of());

  Extensions {
    xclient = Set.copyOf(xclient);
  }

  static Extensions of(SmtpReply ehlo) {
    boolean startTls = false;
    boolean pipelining = false;
    boolean eightBitMime = false;
    boolean smtpUtf8 = false;
    long maxSize = -1;
    Set<String> xclient = Set.of();
    for (String line : ehlo.lines().subList(1, ehlo.lines().size())) {
      String[] words = SPACES.split(line.strip(), -1);
      switch (words[0].toUpperCase(Locale.ROOT)) {
        case "STARTTLS" -> startTls = true;
        case "PIPELINING" -> pipelining = true;
        case "8BITMIME" -> eightBitMime = true;
        case "SMTPUTF8" -> smtpUtf8 = true;
        case "SIZE" -> maxSize = words.length > 1 ? size(words[1]) : 0;
        case "XCLIENT" ->
            xclient =
                Arrays.stream(words, 1, words.length)
                    .map(w -> w.toUpperCase(Locale.ROOT))
                    .collect(Collectors.toSet());
        default -> {}
      }
    }
    return new Extensions(startTls, pipelining, eightBitMime, smtpUtf8, maxSize, xclient);
  }

  /** These extensions without XCLIENT (the peer refused it). */
  Extensions withoutXclient() {
    return new Extensions(startTls, pipelining, eightBitMime, smtpUtf8, maxSize, Set.of());
  }

  /** A SIZE parameter; one we cannot read is taken as no limit, the peer checks it anyway. */
  private static long size(String word) {
    try {
      return Math.max(0, Long.parseLong(word));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
