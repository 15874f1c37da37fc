package org.mxtrap.smtp;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Mailbox;
import org.mxtrap.smtp.wire.SmtpReply;
import org.mxtrap.smtp.wire.Xtext;

/**
 * Turns one command line (without its CRLF) into a {@link Command}. Never throws: whatever the
 * octets, the result is a command or an {@link Command.Invalid} carrying the reply to send.
 *
 * <p>Paths follow RFC 5321 4.1.2 strictly: angle brackets are required, the local part is a
 * Dot-string or a Quoted-string, the domain a sequence of LDH labels or an address literal; source
 * routes are parsed (and kept, for the relay check). Local part at most 64 octets, domain 255, path
 * 256 (4.5.3.1). Non-ASCII is taken as RFC 6531 UTF-8 and allowed in paths only under SMTPUTF8. The
 * one leniency: spaces after {@code FROM:} and {@code TO:}, which many clients send.
 */
final class CommandParser {
  private CommandParser() {}

  private static final Pattern KEYWORD = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]*");
  private static final Pattern SIZE = Pattern.compile("\\d{1,20}");

  /**
   * @param line the octets of the line, CRLF removed
   * @param utf8Transaction the current mail transaction was started with SMTPUTF8, so RCPT may
   *     carry UTF-8 addresses
   */
  static Command parse(byte[] line, boolean utf8Transaction) {
    String s;
    try {
      s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(line))
              .toString();
    } catch (CharacterCodingException e) {
      return new Command.Invalid(asciiVerb(line), Replies.INVALID_UTF8);
    }
    int space = s.indexOf(' ');
    String verb = space < 0 ? s : s.substring(0, space);
    String arg = space < 0 ? "" : s.substring(space + 1);
    String known = knownVerb(verb);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) { // NUL, TAB, ESC, DEL...: nothing in SMTP commands uses them
        return new Command.Invalid(known, Replies.BAD_CHARACTERS);
      }
    }
    return switch (known) {
      case "HELO" -> hello(arg, false);
      case "EHLO" -> hello(arg, true);
      case "MAIL" -> mail(arg);
      case "RCPT" -> rcpt(arg, utf8Transaction);
      case "DATA" -> arg.isBlank() ? new Command.Data() : invalid(known, Replies.DATA_SYNTAX);
      case "RSET" -> arg.isBlank() ? new Command.Rset() : invalid(known, Replies.RSET_SYNTAX);
      case "NOOP" -> new Command.Noop(); // RFC 5321 4.1.1.9: the argument is ignored
      case "QUIT" -> arg.isBlank() ? new Command.Quit() : invalid(known, Replies.QUIT_SYNTAX);
      case "VRFY" -> arg.isBlank() ? invalid(known, Replies.VRFY_SYNTAX) : new Command.Vrfy();
      case "HELP" -> new Command.Help();
      case "STARTTLS" ->
          arg.isBlank() ? new Command.StartTls() : invalid(known, Replies.STARTTLS_SYNTAX);
      case "XCLIENT" -> xclient(arg);
      default -> invalid(known, Replies.UNKNOWN_COMMAND);
    };
  }

  private static final List<String> VERBS =
      List.of(
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

  /**
   * The verb in upper case if it is one we know, else {@code unknown}. ASCII only, so no Unicode
   * case folding turns {@code maıl} into {@code MAIL}.
   */
  private static String knownVerb(String verb) {
    for (int i = 0; i < verb.length(); i++) {
      if (verb.charAt(i) >= 0x80) {
        return "unknown";
      }
    }
    String upper = verb.toUpperCase(Locale.ROOT);
    return VERBS.contains(upper) ? upper : "unknown";
  }

  private static String asciiVerb(byte[] line) {
    int end = 0;
    while (end < line.length && line[end] != ' ') {
      end++;
    }
    return knownVerb(new String(line, 0, end, StandardCharsets.ISO_8859_1));
  }

  private static Command invalid(String verb, SmtpReply reply) {
    return new Command.Invalid(verb, reply);
  }

  private static Command hello(String arg, boolean extended) {
    String name = arg.strip();
    SmtpReply syntax = extended ? Replies.EHLO_SYNTAX : Replies.HELO_SYNTAX;
    if (name.isEmpty()) {
      return invalid(extended ? "EHLO" : "HELO", syntax);
    }
    for (int i = 0; i < name.length(); i++) {
      if (name.charAt(i) >= 0x80) { // RFC 6531 3.7.1: the EHLO name is ASCII (A-labels)
        return invalid(extended ? "EHLO" : "HELO", syntax);
      }
    }
    return extended ? new Command.Ehlo(name) : new Command.Helo(name);
  }

  private static final Pattern XCLIENT_NAME =
      Pattern.compile("[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\\.?");

  /**
   * {@code XCLIENT 1*( SP attribute-name "=" attribute-value )}, the value in xtext (RFC 3461 4):
   * {@code ADDR} (IPv4, or {@code IPV6:} and an IPv6 address), {@code PORT}, {@code NAME} (a domain
   * name), {@code HELO}, {@code PROTO} ({@code SMTP} or {@code ESMTP}); any of them may be {@code
   * [UNAVAILABLE]} or {@code [TEMPUNAVAIL]}. Anything else is 501 5.5.4, as Postfix answers.
   */
  private static Command xclient(String arg) {
    if (arg.isBlank()) {
      return invalid("XCLIENT", Replies.xclientSyntax("Syntax: XCLIENT attribute=value..."));
    }
    InetAddress addr = null;
    int port = 0;
    String name = null;
    String helo = null;
    String proto = null;
    for (String attribute : arg.strip().split(" +")) {
      int eq = attribute.indexOf('=');
      String key = (eq < 0 ? attribute : attribute.substring(0, eq)).toUpperCase(Locale.ROOT);
      String value = eq < 0 ? null : Xtext.decode(attribute.substring(eq + 1));
      if (value == null || value.isEmpty()) {
        return invalid("XCLIENT", Replies.xclientSyntax("Bad XCLIENT attribute: " + attribute));
      }
      boolean unknown = value.equals("[UNAVAILABLE]") || value.equals("[TEMPUNAVAIL]");
      String bad = "Bad XCLIENT " + key + " syntax: " + value;
      switch (key) {
        case "ADDR" -> {
          if (!unknown) {
            boolean v6 = value.regionMatches(true, 0, "IPV6:", 0, 5);
            Optional<InetAddress> a = Addresses.parse(v6 ? value.substring(5) : value);
            if (a.isEmpty() || (a.get().getAddress().length == 16) != v6) {
              return invalid("XCLIENT", Replies.xclientSyntax(bad));
            }
            addr = a.get();
          }
        }
        case "PORT" -> {
          if (!unknown) {
            if (!value.matches("\\d{1,5}") || Integer.parseInt(value) > 65535) {
              return invalid("XCLIENT", Replies.xclientSyntax(bad));
            }
            port = Integer.parseInt(value);
          }
        }
        case "NAME" -> {
          if (!unknown) {
            name = value.toLowerCase(Locale.ROOT);
            if (name.length() > 255 || !XCLIENT_NAME.matcher(name).matches()) {
              return invalid("XCLIENT", Replies.xclientSyntax(bad));
            }
          }
        }
        case "HELO" -> helo = unknown ? null : value;
        case "PROTO" -> {
          if (!unknown) {
            proto = value.toUpperCase(Locale.ROOT);
            if (!proto.equals("SMTP") && !proto.equals("ESMTP")) {
              return invalid("XCLIENT", Replies.xclientSyntax(bad));
            }
          }
        }
        default -> {
          return invalid("XCLIENT", Replies.xclientSyntax("Bad XCLIENT attribute name: " + key));
        }
      }
    }
    return new Command.Xclient(addr, port, name, helo, proto);
  }

  private static Command mail(String arg) {
    if (!arg.regionMatches(true, 0, "FROM:", 0, 5)) {
      return invalid("MAIL", Replies.MAIL_SYNTAX);
    }
    Cursor c = new Cursor(arg, 5);
    c.skipSpaces();
    Path path;
    try {
      path = c.reversePath();
    } catch (SyntaxError e) {
      return invalid("MAIL", Replies.BAD_SENDER_SYNTAX);
    }
    MailParameters parameters;
    try {
      parameters = mailParameters(c.rest());
    } catch (ParameterError e) {
      return invalid("MAIL", e.reply);
    }
    if (path != null && path.nonAscii() && !parameters.smtpUtf8()) {
      return invalid("MAIL", Replies.UTF8_NOT_PERMITTED);
    }
    return new Command.Mail(path, parameters);
  }

  private static Command rcpt(String arg, boolean utf8Transaction) {
    if (!arg.regionMatches(true, 0, "TO:", 0, 3)) {
      return invalid("RCPT", Replies.RCPT_SYNTAX);
    }
    Cursor c = new Cursor(arg, 3);
    c.skipSpaces();
    Path path;
    try {
      path = c.forwardPath();
    } catch (SyntaxError e) {
      return invalid("RCPT", Replies.BAD_RECIPIENT_SYNTAX);
    }
    String rest = c.rest();
    if (!rest.isBlank()) {
      // We offer no RCPT parameters (no DSN); a syntactically bad one is still a syntax error.
      return invalid(
          "RCPT",
          rest.startsWith(" ") ? Replies.UNSUPPORTED_PARAMETER : Replies.BAD_RECIPIENT_SYNTAX);
    }
    if (path.nonAscii() && !utf8Transaction) {
      return invalid("RCPT", Replies.UTF8_NOT_PERMITTED);
    }
    return new Command.Rcpt(path);
  }

  /** RFC 5321 4.1.2 Mail-parameters, after the path; {@code rest} is empty or starts with SP. */
  private static MailParameters mailParameters(String rest) throws ParameterError {
    if (rest.isBlank()) {
      return MailParameters.NONE;
    }
    if (!rest.startsWith(" ")) {
      throw new ParameterError(Replies.BAD_SENDER_SYNTAX);
    }
    long size = 0;
    String body = null;
    boolean smtpUtf8 = false;
    boolean sawSize = false;
    for (String param : rest.strip().split(" +")) {
      int eq = param.indexOf('=');
      String keyword = eq < 0 ? param : param.substring(0, eq);
      String value = eq < 0 ? null : param.substring(eq + 1);
      if (!KEYWORD.matcher(keyword).matches() || (value != null && !isEsmtpValue(value))) {
        throw new ParameterError(Replies.BAD_PARAMETER_SYNTAX);
      }
      switch (keyword.toUpperCase(Locale.ROOT)) {
        case "SIZE" -> {
          if (sawSize) {
            throw new ParameterError(Replies.DUPLICATE_PARAMETER);
          }
          if (value == null || !SIZE.matcher(value).matches()) {
            throw new ParameterError(Replies.BAD_SIZE);
          }
          sawSize = true;
          size = value.length() > 18 ? saturatingParse(value) : Long.parseLong(value);
        }
        case "BODY" -> {
          if (body != null) {
            throw new ParameterError(Replies.DUPLICATE_PARAMETER);
          }
          if (value == null) {
            throw new ParameterError(Replies.BAD_BODY);
          }
          body = value.toUpperCase(Locale.ROOT);
          if (!body.equals("7BIT") && !body.equals("8BITMIME")) {
            throw new ParameterError(Replies.BAD_BODY);
          }
        }
        case "SMTPUTF8" -> {
          if (smtpUtf8) {
            throw new ParameterError(Replies.DUPLICATE_PARAMETER);
          }
          if (value != null) {
            throw new ParameterError(Replies.BAD_PARAMETER_SYNTAX);
          }
          smtpUtf8 = true;
        }
        default -> throw new ParameterError(Replies.UNSUPPORTED_PARAMETER);
      }
    }
    return new MailParameters(size, body == null ? "7BIT" : body, smtpUtf8, true);
  }

  private static long saturatingParse(String digits) {
    long v = 0;
    for (int i = 0; i < digits.length(); i++) {
      int d = digits.charAt(i) - '0';
      if (v > (Long.MAX_VALUE - d) / 10) {
        return Long.MAX_VALUE;
      }
      v = v * 10 + d;
    }
    return v;
  }

  /** esmtp-value: 1*(%d33-60 / %d62-126), widened by RFC 6531 to UTF-8. */
  private static boolean isEsmtpValue(String v) {
    if (v.isEmpty()) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c <= ' ' || c == '=' || c == 0x7f) {
        return false;
      }
    }
    return true;
  }

  /** Thrown inside the path grammar; never escapes this class. */
  private static final class SyntaxError extends Exception {
    SyntaxError() {
      super(null, null, false, false);
    }
  }

  private static final class ParameterError extends Exception {
    final SmtpReply reply;

    ParameterError(SmtpReply reply) {
      super(null, null, false, false);
      this.reply = reply;
    }
  }

  /** A recursive-descent reader of the RFC 5321 4.1.2 path grammar over one argument string. */
  private static final class Cursor {
    private static final SyntaxError ERROR = new SyntaxError();
    private static final int MAX_LOCAL_PART = 64;
    private static final int MAX_DOMAIN = 255;
    private static final int MAX_PATH = 256;

    private final String s;
    private int i;
    private boolean nonAscii;

    Cursor(String s, int start) {
      this.s = s;
      this.i = start;
    }

    void skipSpaces() {
      while (i < s.length() && s.charAt(i) == ' ') {
        i++;
      }
    }

    String rest() {
      return s.substring(i);
    }

    /** Reverse-path = Path / "<>"; null for the null path. */
    @Nullable Path reversePath() throws SyntaxError {
      if (s.startsWith("<>", i)) {
        i += 2;
        return null;
      }
      return path(false);
    }

    /** Forward-path = Path, or the bare "<Postmaster>" of RFC 5321 4.1.1.3. */
    Path forwardPath() throws SyntaxError {
      return path(true);
    }

    private Path path(boolean barePostmasterAllowed) throws SyntaxError {
      int start = i;
      expect('<');
      List<String> route = new ArrayList<>();
      if (peek('@')) { // A-d-l = At-domain *( "," At-domain ), then ":"
        do {
          expect('@');
          route.add(domain());
        } while (accept(','));
        expect(':');
      }
      boolean quoted = peek('"');
      int localStart = i;
      String local = quoted ? quotedString() : dotString();
      if (octets(s.substring(localStart, i)) > MAX_LOCAL_PART) {
        throw ERROR;
      }
      if (barePostmasterAllowed
          && route.isEmpty()
          && !quoted
          && local.equalsIgnoreCase("postmaster")
          && accept('>')) {
        return new Path(List.of(), local, null, false, false, false);
      }
      expect('@');
      boolean literal = peek('[');
      String domain = literal ? addressLiteral() : domain();
      expect('>');
      if (octets(s.substring(start, i)) > MAX_PATH) {
        throw ERROR;
      }
      return new Path(route, local, domain, quoted, literal, nonAscii);
    }

    /** Dot-string = Atom *("." Atom); Atom = 1*atext. */
    private String dotString() throws SyntaxError {
      int start = i;
      do {
        int atom = i;
        while (i < s.length() && Mailbox.isAtext(s.charAt(i))) {
          noteAscii(s.charAt(i));
          i++;
        }
        if (i == atom) {
          throw ERROR;
        }
      } while (accept('.'));
      return s.substring(start, i);
    }

    /** Quoted-string = DQUOTE *QcontentSMTP DQUOTE; returns the content, pairs resolved. */
    private String quotedString() throws SyntaxError {
      expect('"');
      StringBuilder b = new StringBuilder();
      while (true) {
        if (i >= s.length()) {
          throw ERROR;
        }
        char c = s.charAt(i++);
        if (c == '"') {
          return b.toString();
        }
        if (c == '\\') { // quoted-pairSMTP = %d92 %d32-126
          if (i >= s.length() || s.charAt(i) < 32 || s.charAt(i) > 126) {
            throw ERROR;
          }
          b.append(s.charAt(i++));
        } else if ((c >= 32 && c <= 126) || c >= 0x80) { // qtextSMTP, and RFC 6531 UTF-8
          noteAscii(c);
          b.append(c);
        } else {
          throw ERROR;
        }
      }
    }

    /**
     * Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str], with RFC 6531
     * U-labels. No trailing dot. Returned in lower case.
     */
    private String domain() throws SyntaxError {
      int start = i;
      do {
        int label = i;
        while (i < s.length() && isLdh(s.charAt(i))) {
          noteAscii(s.charAt(i));
          i++;
        }
        if (i == label || s.charAt(label) == '-' || s.charAt(i - 1) == '-') {
          throw ERROR;
        }
      } while (accept('.'));
      String d = s.substring(start, i);
      if (octets(d) > MAX_DOMAIN) {
        throw ERROR;
      }
      return d.toLowerCase(Locale.ROOT);
    }

    /**
     * address-literal = "[" ( IPv4-address-literal / IPv6-address-literal / General-address-literal
     * ) "]"; returned with its brackets.
     */
    private String addressLiteral() throws SyntaxError {
      expect('[');
      int close = s.indexOf(']', i);
      if (close < 0) {
        throw ERROR;
      }
      String content = s.substring(i, close);
      i = close + 1;
      boolean ipv4 = content.indexOf(':') < 0 && Addresses.parse(content).isPresent();
      if (!ipv4 && !isIpv6Literal(content) && !isGeneralLiteral(content)) {
        throw ERROR;
      }
      return "[" + content.toLowerCase(Locale.ROOT) + "]";
    }

    private static boolean isIpv6Literal(String content) {
      return content.regionMatches(true, 0, "IPv6:", 0, 5)
          && content.indexOf(':', 5) >= 0
          && Addresses.parse(content.substring(5)).isPresent();
    }

    /** General-address-literal = Standardized-tag ":" 1*dcontent. */
    private static boolean isGeneralLiteral(String content) {
      int colon = content.indexOf(':');
      if (colon <= 0 || colon == content.length() - 1) {
        return false;
      }
      String tag = content.substring(0, colon);
      if (tag.equalsIgnoreCase("IPv6") || !KEYWORD.matcher(tag).matches() || tag.endsWith("-")) {
        return false;
      }
      for (int k = colon + 1; k < content.length(); k++) {
        char c = content.charAt(k);
        if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']') {
          return false;
        }
      }
      return true;
    }

    private static boolean isLdh(char c) {
      return (c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c >= 0x80;
    }

    private void noteAscii(char c) {
      if (c >= 0x80) {
        nonAscii = true;
      }
    }

    private static int octets(String x) {
      return x.getBytes(StandardCharsets.UTF_8).length;
    }

    private boolean peek(char c) {
      return i < s.length() && s.charAt(i) == c;
    }

    private boolean accept(char c) {
      if (peek(c)) {
        i++;
        return true;
      }
      return false;
    }

    private void expect(char c) throws SyntaxError {
      if (!accept(c)) {
        throw ERROR;
      }
    }
  }
}
