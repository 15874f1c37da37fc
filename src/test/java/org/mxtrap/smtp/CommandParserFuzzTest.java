package org.mxtrap.smtp;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.mxtrap.fuzz.InputDeadline;
import org.mxtrap.smtp.wire.InputLine;
import org.mxtrap.smtp.wire.LineReader;

/**
 * Fuzzes the command side of a session with what a hostile client can send. The input is the octet
 * stream of a session: it is framed into lines by {@link LineReader} as the server frames it (read
 * through a buffer whose size the input picks, so reads split anywhere), and every complete line is
 * parsed in both modes of {@link CommandParser}; the whole input is also parsed as one line, CR and
 * LF included. Nothing may throw, and each result must keep the invariants below.
 *
 * <p>Committed inputs: {@code src/test/resources/org/mxtrap/smtp/CommandParserFuzzTestInputs/}.
 */
class CommandParserFuzzTest {

  private static final Set<String> VERBS =
      Set.of(
          "HELO",
          "EHLO",
          "MAIL",
          "RCPT",
          "DATA",
          "RSET",
          "NOOP",
          "QUIT",
          "VRFY",
          "HELP",
          "STARTTLS",
          "XCLIENT");

  @FuzzTest
  void parse(byte[] input) throws IOException {
    InputDeadline.run(input, () -> parseSession(input));
  }

  private static void parseSession(byte[] input) throws IOException {
    parseInBothModes(input);
    int bufferSize = 1 + Math.floorMod(Arrays.hashCode(input), 64);
    LineReader reader = new LineReader(new ByteArrayInputStream(input), bufferSize);
    List<Framed> expected = frame(input, LineReader.MAX_COMMAND_LINE);
    for (Framed want : expected) {
      InputLine got = reader.readLine(LineReader.MAX_COMMAND_LINE);
      assertThat(got.getClass()).as("framing of %s", want).isEqualTo(want.kind());
      if (got instanceof InputLine.Complete line) {
        assertThat(line.octets()).isEqualTo(want.octets());
        parseInBothModes(line.octets());
      }
    }
    assertThat(reader.readLine(LineReader.MAX_COMMAND_LINE)).isInstanceOf(InputLine.End.class);
  }

  /** What {@link LineReader#readLine} must return, line by line, worked out the simple way. */
  private record Framed(Class<? extends InputLine> kind, byte[] octets) {
    @Override
    public String toString() {
      return kind.getSimpleName() + " " + new String(octets, ISO_8859_1);
    }
  }

  /**
   * Only CRLF ends a line; a line is framed at its LF so that bare LF gets an answer; a line whose
   * octets up to and including the LF exceed {@code max} is too long; a CR anywhere but before the
   * final LF makes the line a bare line end.
   */
  private static List<Framed> frame(byte[] in, int max) {
    List<Framed> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < in.length; i++) {
      if (in[i] != '\n') {
        continue;
      }
      byte[] before = Arrays.copyOfRange(in, start, i);
      int cr = indexOf(before, (byte) '\r');
      if (before.length + 1 > max) {
        lines.add(new Framed(InputLine.TooLong.class, before));
      } else if (cr < 0 || cr != before.length - 1) {
        lines.add(new Framed(InputLine.BareLineEnd.class, before));
      } else {
        lines.add(new Framed(InputLine.Complete.class, Arrays.copyOf(before, cr)));
      }
      start = i + 1;
    }
    return lines; // a partial line before the end of input is discarded: End
  }

  private static int indexOf(byte[] a, byte b) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static void parseInBothModes(byte[] line) {
    Command plain = CommandParser.parse(line, false);
    Command utf8 = CommandParser.parse(line, true);
    check(line, plain, false);
    check(line, utf8, true);
    assertThat(CommandParser.parse(line, false)).as("deterministic").isEqualTo(plain);
    if (!plain.equals(utf8)) {
      // The mode only lets RCPT take a path beyond ASCII, in a transaction started with SMTPUTF8.
      assertThat(utf8).isInstanceOf(Command.Rcpt.class);
      assertThat(((Command.Rcpt) utf8).forwardPath().nonAscii()).isTrue();
      assertThat(plain).isEqualTo(new Command.Invalid("RCPT", Replies.UTF8_NOT_PERMITTED));
    }
  }

  private static void check(byte[] line, Command c, boolean utf8Transaction) {
    assertThat(c).isNotNull();
    assertThat(c.verb()).as("verb").isEqualTo(expectedVerb(line));
    if (c instanceof Command.Invalid invalid) {
      assertThat(invalid.reply().code() / 100).as("%s", invalid.reply()).isEqualTo(5);
      assertThat(invalid.reply().status()).as("%s", invalid.reply()).startsWith("5.");
      return;
    }
    assertThat(isUtf8(line)).as("accepted lines are UTF-8").isTrue();
    for (byte b : line) {
      assertThat((b & 0xff) < 0x20 || b == 0x7f)
          .as("accepted lines hold no control characters")
          .isFalse();
    }
    switch (c) {
      case Command.Helo helo -> checkHelloName(helo.domain());
      case Command.Ehlo ehlo -> checkHelloName(ehlo.domain());
      case Command.Mail mail -> {
        MailParameters p = mail.parameters();
        assertThat(p.size()).isNotNegative();
        assertThat(p.bodyType()).isIn("7BIT", "8BITMIME");
        if (!p.any()) {
          assertThat(p).isEqualTo(MailParameters.NONE);
        }
        if (mail.reversePath() != null) {
          assertThat(mail.reversePath().isBarePostmaster()).isFalse();
          checkPath(mail.reversePath(), p.smtpUtf8());
        }
      }
      case Command.Rcpt rcpt -> checkPath(rcpt.forwardPath(), utf8Transaction);
      default -> {}
    }
  }

  private static void checkHelloName(String name) {
    assertThat(name).isNotEmpty().isEqualTo(name.strip());
    assertThat(isAscii(name)).as("RFC 6531 3.7.1: the EHLO name is ASCII").isTrue();
  }

  private static void checkPath(Path p, boolean utf8Allowed) {
    if (p.nonAscii()) {
      assertThat(utf8Allowed).as("%s beyond ASCII without SMTPUTF8", p).isTrue();
    } else {
      assertThat(isAscii(p.localPart()) && isAscii(String.valueOf(p.domain())))
          .as("%s is said to be ASCII", p)
          .isTrue();
      p.atDomainList().forEach(d -> assertThat(isAscii(d)).isTrue());
    }
    assertThat(p.localPart().getBytes(StandardCharsets.UTF_8).length)
        .as("RFC 5321 4.5.3.1.1: local part")
        .isLessThanOrEqualTo(64);
    if (p.isBarePostmaster()) {
      assertThat(p.localPart()).isEqualToIgnoringCase("postmaster");
      assertThat(p.atDomainList()).isEmpty();
      assertThat(p.quotedLocalPart() || p.addressLiteral()).isFalse();
    } else {
      assertThat(p.domain()).isEqualTo(p.domain().toLowerCase(Locale.ROOT));
      assertThat(p.addressLiteral()).isEqualTo(p.domain().startsWith("["));
      for (String d : p.atDomainList()) {
        assertThat(d).isNotEmpty().isEqualTo(d.toLowerCase(Locale.ROOT));
      }
    }
    // Replies and logs echo the path as toString() writes it; read back, it is the same path. Its
    // nonAscii may drop: the domain is lower-cased after the check, and U+212A KELVIN SIGN
    // lower-cases to an ASCII k (so the flag errs on the strict side).
    byte[] echoed = ("RCPT TO:" + p).getBytes(StandardCharsets.UTF_8);
    Command again = CommandParser.parse(echoed, true);
    assertThat(again).as("echo of %s", p).isInstanceOf(Command.Rcpt.class);
    Path back = ((Command.Rcpt) again).forwardPath();
    assertThat(back.nonAscii() && !p.nonAscii()).as("echo of %s", p).isFalse();
    assertThat(withNonAscii(back, p.nonAscii())).as("echo of %s", p).isEqualTo(p);
  }

  private static Path withNonAscii(Path p, boolean nonAscii) {
    return new Path(
        p.atDomainList(),
        p.localPart(),
        p.domain(),
        p.quotedLocalPart(),
        p.addressLiteral(),
        nonAscii);
  }

  /** The first word, upper case, if it is a verb we know (ASCII only), else {@code unknown}. */
  private static String expectedVerb(byte[] line) {
    int end = indexOf(line, (byte) ' ');
    String word = new String(line, 0, end < 0 ? line.length : end, ISO_8859_1);
    if (!isAscii(word)) {
      return "unknown";
    }
    String upper = word.toUpperCase(Locale.ROOT);
    return VERBS.contains(upper) ? upper : "unknown";
  }

  private static boolean isAscii(String s) {
    return s.chars().allMatch(ch -> ch < 0x80);
  }

  private static boolean isUtf8(byte[] octets) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(octets));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
