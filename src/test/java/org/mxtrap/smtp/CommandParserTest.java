package org.mxtrap.smtp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mxtrap.core.Mailbox;
import org.mxtrap.smtp.wire.SmtpReply;

class CommandParserTest {

  private static Command parse(String line) {
    return CommandParser.parse(line.getBytes(UTF_8), false);
  }

  private static Path rcptPath(String line) {
    Command c = parse(line);
    assertThat(c).isInstanceOf(Command.Rcpt.class);
    return ((Command.Rcpt) c).forwardPath();
  }

  private static SmtpReply refusal(Command c) {
    assertThat(c).isInstanceOf(Command.Invalid.class);
    return ((Command.Invalid) c).reply();
  }

  @Test
  void simpleVerbsInAnyCase() {
    assertThat(parse("data")).isEqualTo(new Command.Data());
    assertThat(parse("RsEt")).isEqualTo(new Command.Rset());
    assertThat(parse("QUIT")).isEqualTo(new Command.Quit());
    assertThat(parse("NOOP anything goes")).isEqualTo(new Command.Noop());
    assertThat(parse("HELP")).isEqualTo(new Command.Help());
    assertThat(parse("HELP MAIL")).isEqualTo(new Command.Help());
    assertThat(parse("VRFY postmaster")).isEqualTo(new Command.Vrfy());
    assertThat(parse("StartTLS")).isEqualTo(new Command.StartTls());
    assertThat(parse("EHLO client.example")).isEqualTo(new Command.Ehlo("client.example"));
    assertThat(parse("HELO [192.0.2.1]")).isEqualTo(new Command.Helo("[192.0.2.1]"));
  }

  @Test
  void argumentsWhereNoneAreAllowed() {
    assertThat(refusal(parse("DATA now"))).isEqualTo(Replies.DATA_SYNTAX);
    assertThat(refusal(parse("QUIT now"))).isEqualTo(Replies.QUIT_SYNTAX);
    assertThat(refusal(parse("RSET x"))).isEqualTo(Replies.RSET_SYNTAX);
    assertThat(refusal(parse("STARTTLS x"))).isEqualTo(Replies.STARTTLS_SYNTAX);
    assertThat(refusal(parse("VRFY"))).isEqualTo(Replies.VRFY_SYNTAX);
    assertThat(refusal(parse("EHLO"))).isEqualTo(Replies.EHLO_SYNTAX);
    assertThat(refusal(parse("HELO "))).isEqualTo(Replies.HELO_SYNTAX);
  }

  @Test
  void unknownAndGarbage() {
    assertThat(refusal(parse("XYZZY"))).isEqualTo(Replies.UNKNOWN_COMMAND);
    assertThat(refusal(parse(""))).isEqualTo(Replies.UNKNOWN_COMMAND);
    assertThat(refusal(parse("GET / HTTP/1.1"))).isEqualTo(Replies.UNKNOWN_COMMAND);
    assertThat(refusal(parse("MAİL FROM:<a@b>"))).isEqualTo(Replies.UNKNOWN_COMMAND);
    assertThat(refusal(parse("maıl FROM:<a@b>")))
        .as("no Unicode case folding")
        .isEqualTo(Replies.UNKNOWN_COMMAND);
    assertThat(refusal(parse("NOOP\0"))).isEqualTo(Replies.BAD_CHARACTERS);
    assertThat(refusal(parse("MAIL\tFROM:<a@b>"))).isEqualTo(Replies.BAD_CHARACTERS);
    assertThat(
            refusal(CommandParser.parse(new byte[] {'N', 'O', 'O', 'P', ' ', (byte) 0xC3}, false)))
        .isEqualTo(Replies.INVALID_UTF8);
    assertThat(refusal(CommandParser.parse(new byte[] {(byte) 0xff, (byte) 0xfe}, false)))
        .isEqualTo(Replies.INVALID_UTF8);
    assertThat(refusal(parse("EHLO exämple.test"))).isEqualTo(Replies.EHLO_SYNTAX);
  }

  @Test
  void mailWithParameters() {
    Command c = parse("MAIL FROM:<a.b@Example.TEST> SIZE=1234 BODY=8bitmime SMTPUTF8");
    assertThat(c)
        .isEqualTo(
            new Command.Mail(
                new Path(List.of(), "a.b", "example.test", false, false, false),
                new MailParameters(1234, "8BITMIME", true, true)));
    assertThat(parse("mail from:<>")).isEqualTo(new Command.Mail(null, MailParameters.NONE));
    assertThat(parse("MAIL FROM: <a@b.test>"))
        .as("space after the colon, as many clients send")
        .isInstanceOf(Command.Mail.class);
    assertThat(((Command.Mail) parse("MAIL FROM:<> SIZE=99999999999999999999")).parameters().size())
        .isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void badMailParameters() {
    assertThat(refusal(parse("MAIL FROM:<a@b> SIZE=x"))).isEqualTo(Replies.BAD_SIZE);
    assertThat(refusal(parse("MAIL FROM:<a@b> SIZE"))).isEqualTo(Replies.BAD_SIZE);
    assertThat(refusal(parse("MAIL FROM:<a@b> SIZE=1 SIZE=2")))
        .isEqualTo(Replies.DUPLICATE_PARAMETER);
    assertThat(refusal(parse("MAIL FROM:<a@b> BODY=BINARYMIME"))).isEqualTo(Replies.BAD_BODY);
    assertThat(refusal(parse("MAIL FROM:<a@b> SMTPUTF8=yes")))
        .isEqualTo(Replies.BAD_PARAMETER_SYNTAX);
    assertThat(refusal(parse("MAIL FROM:<a@b> RET=HDRS"))).isEqualTo(Replies.UNSUPPORTED_PARAMETER);
    assertThat(refusal(parse("MAIL FROM:<a@b> =x"))).isEqualTo(Replies.BAD_PARAMETER_SYNTAX);
    assertThat(refusal(parse("MAIL FROM:<a@b>SIZE=1"))).isEqualTo(Replies.BAD_SENDER_SYNTAX);
    assertThat(refusal(parse("RCPT TO:<a@b> NOTIFY=NEVER")))
        .isEqualTo(Replies.UNSUPPORTED_PARAMETER);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "MAIL FROM:a@b.test",
        "MAIL FROM:<a@b.test",
        "MAIL FROM:<a@>",
        "MAIL FROM:<@b.test>",
        "MAIL FROM:<a>",
        "MAIL FROM:<a..b@c.test>",
        "MAIL FROM:<.a@c.test>",
        "MAIL FROM:<a.@c.test>",
        "MAIL FROM:<a@b..test>",
        "MAIL FROM:<a@-b.test>",
        "MAIL FROM:<a@b-.test>",
        "MAIL FROM:<a@b.test.>",
        "MAIL FROM:<a b@c.test>",
        "MAIL FROM:<a@b@c.test>",
        "MAIL FROM:<\"a@c.test>",
        "MAIL FROM:<a@[300.1.1.1]>",
        "MAIL FROM:<a@[1.2.3]>",
        "MAIL FROM:<a@[IPv6:zz::1]>",
        "MAIL FROM:<a@[b.test]>",
        "MAIL FROM:<a@b_c.test>",
        "MAIL FROM:<postmaster>",
        "MAIL FROM:<<a@b.test>>"
      })
  void badSenderSyntax(String line) {
    assertThat(refusal(parse(line))).isEqualTo(Replies.BAD_SENDER_SYNTAX);
  }

  @Test
  void missingFromOrTo() {
    assertThat(refusal(parse("MAIL <a@b.test>"))).isEqualTo(Replies.MAIL_SYNTAX);
    assertThat(refusal(parse("MAIL"))).isEqualTo(Replies.MAIL_SYNTAX);
    assertThat(refusal(parse("RCPT <a@b.test>"))).isEqualTo(Replies.RCPT_SYNTAX);
  }

  @Test
  void lengthLimits() {
    String local64 = "l".repeat(64);
    assertThat(parse("RCPT TO:<" + local64 + "@b.test>")).isInstanceOf(Command.Rcpt.class);
    assertThat(refusal(parse("RCPT TO:<" + local64 + "l@b.test>")))
        .isEqualTo(Replies.BAD_RECIPIENT_SYNTAX);
    String longDomain = ("d".repeat(60) + ".").repeat(4) + "test"; // 248 octets
    assertThat(refusal(parse("RCPT TO:<abcdefg@" + longDomain + ">")))
        .as("path over 256 octets")
        .isEqualTo(Replies.BAD_RECIPIENT_SYNTAX);
  }

  @Test
  void keepsSourceRoutes() {
    Path p = rcptPath("RCPT TO:<@a.test,@b.test:user@c.test>");
    assertThat(p.atDomainList()).containsExactly("a.test", "b.test");
    assertThat(p.mailbox()).isEqualTo(new Mailbox("user", "c.test"));
    assertThat(p.toString()).isEqualTo("<@a.test,@b.test:user@c.test>");
    assertThat(refusal(parse("RCPT TO:<@a.test:@b.test:user@c.test>")))
        .isEqualTo(Replies.BAD_RECIPIENT_SYNTAX);
    assertThat(refusal(parse("RCPT TO:<@a.test user@c.test>")))
        .isEqualTo(Replies.BAD_RECIPIENT_SYNTAX);
  }

  @Test
  void keepsQuotedLocalParts() {
    Path p = rcptPath("RCPT TO:<\"other@evil.test\"@example.test>");
    assertThat(p.quotedLocalPart()).isTrue();
    assertThat(p.localPart()).isEqualTo("other@evil.test");
    Path q = rcptPath("RCPT TO:<\"john \\\"jd\\\" doe\"@example.test>");
    assertThat(q.localPart()).isEqualTo("john \"jd\" doe");
    assertThat(q.toString()).isEqualTo("<\"john \\\"jd\\\" doe\"@example.test>");
  }

  @Test
  void keepsAddressLiterals() {
    Path v4 = rcptPath("RCPT TO:<user@[192.0.2.1]>");
    assertThat(v4.addressLiteral()).isTrue();
    assertThat(v4.domain()).isEqualTo("[192.0.2.1]");
    assertThat(rcptPath("RCPT TO:<user@[IPv6:2001:db8::1]>").domain())
        .isEqualTo("[ipv6:2001:db8::1]");
    assertThat(rcptPath("RCPT TO:<user@[x-tag:foo]>").addressLiteral()).isTrue();
  }

  @Test
  void percentAndBangArePlainAtextToTheParser() {
    assertThat(rcptPath("RCPT TO:<user%other.test@example.test>").localPart())
        .isEqualTo("user%other.test");
    assertThat(rcptPath("RCPT TO:<other.test!user@example.test>").localPart())
        .isEqualTo("other.test!user");
  }

  @Test
  void barePostmasterOnlyInRcpt() {
    Path p = rcptPath("RCPT TO:<PostMaster>");
    assertThat(p.isBarePostmaster()).isTrue();
    assertThat(refusal(parse("RCPT TO:<webmaster>"))).isEqualTo(Replies.BAD_RECIPIENT_SYNTAX);
    assertThat(refusal(parse("RCPT TO:<\"postmaster\">"))).isEqualTo(Replies.BAD_RECIPIENT_SYNTAX);
  }

  @Test
  void utf8AddressesNeedSmtputf8() {
    assertThat(refusal(parse("MAIL FROM:<jörg@example.test>")))
        .isEqualTo(Replies.UTF8_NOT_PERMITTED);
    Command mail = parse("MAIL FROM:<jörg@bücher.test> SMTPUTF8");
    assertThat(mail).isInstanceOf(Command.Mail.class);
    assertThat(((Command.Mail) mail).reversePath().nonAscii()).isTrue();
    assertThat(refusal(parse("RCPT TO:<用户@example.test>"))).isEqualTo(Replies.UTF8_NOT_PERMITTED);
    assertThat(CommandParser.parse("RCPT TO:<用户@example.test>".getBytes(UTF_8), true))
        .isInstanceOf(Command.Rcpt.class);
  }
}
