package org.mxtrap.admin;

import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Cidr;
import org.mxtrap.observe.Json;

/**
 * The format of {@code mxtrap state export} and {@code import} ({@code GET} and {@code POST
 * /state}): JSON lines, UTF-8, one object per line with one member that says what it is:
 *
 * <pre>
 * {"suppression":{"prefix":"192.0.2.7/32","since":T,"until":T,"reason":"mx-skip","offences":2,"evidence":"..."}}
 * {"contact":{"network":"192.0.2.0/24","preference":10,"at":T}}
 * {"end":{"suppressions":1,"contacts":1}}
 * </pre>
 *
 * T is ISO-8601 UTC ({@code 2025-06-03T10:00:00Z}, a fraction when it has one). A suppression is
 * the stored row of its prefix, active or ended but still counting for a repeat offence; a contact
 * is a client network's last contact at one MX preference, the network being the client's address
 * masked to the exporting host's excuse prefix. Suppressions come first, then contacts. {@code end}
 * is the last line, with how many of each came before it: an export without it was cut short, and
 * import refuses it. When the server fails part way, it writes {@code {"error":"MESSAGE"}} instead
 * of {@code end}.
 */
public final class StateLines {
  private StateLines() {}

  /** One line: exactly one component is set. */
  public record Line(
      @Json.OmitIfNull @Nullable Suppression suppression,
      @Json.OmitIfNull @Nullable Contact contact,
      @Json.OmitIfNull @Nullable End end,
      @Json.OmitIfNull @Nullable String error) {}

  /** A stored suppression; {@code prefix} as {@link Cidr#toString()} prints it. */
  public record Suppression(
      String prefix, Instant since, Instant until, String reason, int offences, String evidence) {}

  /** The last contact of {@code network} at {@code preference}. */
  public record Contact(String network, int preference, Instant at) {}

  /** The count of the lines before it. */
  public record End(long suppressions, long contacts) {}

  /** The line of {@code s}, without a line end. */
  public static String line(Suppression s) {
    return Json.write(new Line(s, null, null, null));
  }

  /** The line of {@code c}, without a line end. */
  public static String line(Contact c) {
    return Json.write(new Line(null, c, null, null));
  }

  /**
   * Reads an export line by line, as import does on both sides: the CLI checks the whole file with
   * it before it sends a byte, the server reads what it applies with it. Not thread-safe.
   */
  public static final class Reader {
    private long suppressions;
    private long contacts;
    private boolean ended;

    /**
     * The next line, checked: one JSON object of the format, its prefix or network a CIDR prefix,
     * its times present, its offences at least 1, its preference 0..65535, nothing after {@code
     * end}, and {@code end}'s counts those of the lines before it.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public Line next(String text) {
      if (ended) {
        throw new IllegalArgumentException("a line after the end line");
      }
      Line line;
      try {
        line = Json.read(text, Line.class);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not a JSON object of the export format", e);
      }
      int set =
          (line.suppression() == null ? 0 : 1)
              + (line.contact() == null ? 0 : 1)
              + (line.end() == null ? 0 : 1)
              + (line.error() == null ? 0 : 1);
      if (set != 1) {
        throw new IllegalArgumentException(
            "a line has exactly one of suppression, contact, end; this one has " + set);
      }
      if (line.error() != null) {
        throw new IllegalArgumentException("the export failed here: " + line.error());
      }
      Suppression s = line.suppression();
      if (s != null) {
        check(s);
        suppressions++;
      }
      Contact c = line.contact();
      if (c != null) {
        check(c);
        contacts++;
      }
      End end = line.end();
      if (end != null) {
        if (end.suppressions() != suppressions || end.contacts() != contacts) {
          throw new IllegalArgumentException(
              "the end line counts "
                  + end.suppressions()
                  + " suppressions and "
                  + end.contacts()
                  + " contacts, but "
                  + suppressions
                  + " and "
                  + contacts
                  + " came before it");
        }
        ended = true;
      }
      return line;
    }

    /**
     * After the last line.
     *
     * @throws IllegalArgumentException when there was no end line: the export was cut short
     */
    public void finish() {
      if (!ended) {
        throw new IllegalArgumentException(
            "no end line: the export was cut short (or failed) and is not imported");
      }
    }

    private static void check(Suppression s) {
      require(s.prefix(), "prefix");
      Cidr.parse(s.prefix());
      require(s.since(), "since");
      require(s.until(), "until");
      require(s.reason(), "reason");
      require(s.evidence(), "evidence");
      if (s.offences() < 1) {
        throw new IllegalArgumentException("offences must be at least 1: " + s.offences());
      }
      if (s.until().isBefore(s.since())) {
        throw new IllegalArgumentException("until before since");
      }
    }

    private static void check(Contact c) {
      require(c.network(), "network");
      Cidr.parse(c.network());
      require(c.at(), "at");
      if (c.preference() < 0 || c.preference() > 65535) {
        throw new IllegalArgumentException("preference out of range 0..65535: " + c.preference());
      }
    }

    /**
     * Gson leaves a missing member null, whatever the type says (a missing number reads as 0: no
     * offence count, and a preference that only a layout with an MX 0 takes).
     */
    private static void require(@Nullable Object value, String name) {
      if (value == null) {
        throw new IllegalArgumentException("no " + name);
      }
    }
  }
}
