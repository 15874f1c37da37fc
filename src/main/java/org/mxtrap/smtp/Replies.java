package org.mxtrap.smtp;

import java.util.ArrayList;
import java.util.List;
import org.mxtrap.core.Action;
import org.mxtrap.core.Decision;
import org.mxtrap.smtp.wire.SmtpReply;

/**
 * Every reply mxtrap sends, each named once, so that a grep for {@code 550} finds every place we
 * can refuse with it. Replies with a variable part (our hostname, a queue ID, an address) are
 * factories. Texts follow Postfix where a client or a log parser might look for them. Public
 * because the socket server answers with some of them (421 at overload or shutdown) too.
 */
public final class Replies {
  private Replies() {}

  // ---- 2xx and 3xx -------------------------------------------------------------------------

  /** The banner. No software name: the trap's hosts must give nothing away. */
  public static SmtpReply greeting(String hostname) {
    return new SmtpReply(220, null, List.of(hostname + " ESMTP"));
  }

  /** The answer to HELO (RFC 5321 4.1.1.1). */
  public static SmtpReply helo(String hostname) {
    return new SmtpReply(250, null, List.of(hostname));
  }

  /**
   * The answer to EHLO: our name, then one extension per line.
   *
   * @param startTls advertise STARTTLS (only while it is available, RFC 3207 section 4.2)
   * @param xclient advertise XCLIENT (only to a trusted relay)
   */
  public static SmtpReply ehlo(
      String hostname, long maxMessageSize, boolean startTls, boolean xclient) {
    List<String> lines = new ArrayList<>();
    lines.add(hostname);
    lines.add("PIPELINING");
    lines.add("SIZE " + maxMessageSize);
    if (startTls) {
      lines.add("STARTTLS");
    }
    lines.add("8BITMIME");
    lines.add("ENHANCEDSTATUSCODES");
    lines.add("SMTPUTF8");
    if (xclient) {
      lines.add("XCLIENT " + String.join(" ", XCLIENT_ATTRIBUTES));
    }
    return new SmtpReply(250, null, lines);
  }

  public static final SmtpReply OK = SmtpReply.of(250, "2.0.0", "Ok");
  public static final SmtpReply SENDER_OK = SmtpReply.of(250, "2.1.0", "Ok");
  public static final SmtpReply RECIPIENT_OK = SmtpReply.of(250, "2.1.5", "Ok");

  /** The message is durably stored (MessageSink.Incoming.commit returned). */
  public static SmtpReply queued(String queueId) {
    return SmtpReply.of(250, "2.0.0", "Ok: queued as " + queueId);
  }

  public static final SmtpReply START_MAIL_INPUT =
      new SmtpReply(354, null, List.of("End data with <CR><LF>.<CR><LF>"));
  public static final SmtpReply CANNOT_VRFY =
      SmtpReply.of(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
  public static final SmtpReply HELP = SmtpReply.of(214, "2.0.0", "See RFC 5321");
  public static final SmtpReply BYE = SmtpReply.of(221, "2.0.0", "Bye");
  public static final SmtpReply READY_TO_START_TLS =
      SmtpReply.of(220, "2.0.0", "Ready to start TLS");

  /**
   * Instead of the greeting (RFC 5321 3.1 allows 554 there): the connection arrived on an address
   * that no layout entry describes, so it has no role.
   */
  public static final SmtpReply NO_SERVICE_HERE =
      SmtpReply.of(554, "5.7.0", "No SMTP service on this address");

  // ---- 4xx ---------------------------------------------------------------------------------

  /**
   * Instead of the greeting, for a trap hit, a disarmed trap and a backup skip answered with
   * tempfail: the words of a busy server, the same for all three, so a sender cannot tell a trap
   * from an MX that is merely overloaded.
   */
  public static SmtpReply tryAgainLater(String hostname) {
    return SmtpReply.of(
        421, "4.7.0", hostname + " Service temporarily unavailable, try again later");
  }

  /** Instead of the greeting: the client is suppressed, blocked or talked early (tempfail). */
  public static SmtpReply refusedForNow(String hostname) {
    return SmtpReply.of(
        421, "4.7.1", hostname + " Service unavailable to your address, try again later");
  }

  /** Instead of the greeting, with action reject: after it, only QUIT (RFC 5321 3.1). */
  public static SmtpReply refused(String hostname) {
    return SmtpReply.of(554, "5.7.1", hostname + " Service unavailable to your address");
  }

  /** Any command but QUIT after a 554 greeting. */
  public static final SmtpReply NO_SERVICE_ONLY_QUIT =
      SmtpReply.of(503, "5.5.1", "Error: no service for you here, send QUIT");

  /**
   * The reply that takes the place of the greeting for a decision that does not serve the client:
   * {@link #refused} for reject; for tempfail and tarpit, {@link #tryAgainLater} for the trap
   * verdicts and {@link #refusedForNow} for the others.
   */
  public static SmtpReply instead(Decision d, String hostname) {
    if (d.action() == Action.REJECT) {
      return refused(hostname);
    }
    return switch (d.verdict()) {
      case MX_SKIP, DISARMED, BACKUP_SKIP -> tryAgainLater(hostname);
      default -> refusedForNow(hostname);
    };
  }

  /** Sent before we close because the client made too many mistakes. */
  public static SmtpReply tooManyErrors(String hostname) {
    return SmtpReply.of(421, "4.7.0", hostname + " Error: too many errors");
  }

  /** Sent before we close because the client was silent for the command timeout. */
  public static SmtpReply timeout(String hostname) {
    return SmtpReply.of(421, "4.4.2", hostname + " Error: timeout exceeded");
  }

  /** Instead of the greeting: the layout entry's {@code limits.max_connections} is reached. */
  public static SmtpReply tooManyConnections(String hostname) {
    return SmtpReply.of(421, "4.7.0", hostname + " Error: too many connections");
  }

  /** Instead of the greeting: the client's {@code limits.max_per_ip} on this entry is reached. */
  public static SmtpReply tooManyConnectionsFromYou(String hostname) {
    return SmtpReply.of(421, "4.7.0", hostname + " Error: too many connections from your address");
  }

  /** Sent between commands when the server is stopping (RFC 5321 3.8). */
  public static SmtpReply shuttingDown(String hostname) {
    return SmtpReply.of(421, "4.3.2", hostname + " Service shutting down, closing connection");
  }

  /** Sent by the server before it closes because of our own failure. */
  public static SmtpReply localErrorClosing(String hostname) {
    return SmtpReply.of(421, "4.3.0", hostname + " Error: internal error, closing connection");
  }

  /** RCPT for a mailbox whose existence cannot be told now (the recipient list is not loaded). */
  public static SmtpReply mailboxNotVerified(String forwardPath) {
    return SmtpReply.of(
        450, "4.1.1", forwardPath + ": Recipient address rejected: cannot verify it now");
  }

  /**
   * Sent before we close a session whose client asked for too many unknown mailboxes (a dictionary
   * attack) and is now suppressed; whatever {@code suppress.action} says, in the middle of a
   * session only a 421 may end it (RFC 5321 3.8).
   */
  public static SmtpReply dictionaryClosing(String hostname) {
    return SmtpReply.of(
        421, "4.7.1", hostname + " Error: too many unknown recipients, closing connection");
  }

  /** The message could not be made durable; the client should retry. */
  public static final SmtpReply STORAGE_FAILED =
      SmtpReply.of(451, "4.3.0", "Error: queue file write error");

  /** RFC 5321 4.5.3.1.8: a recipient over the limit gets 452, and the client retries it later. */
  public static final SmtpReply TOO_MANY_RECIPIENTS =
      SmtpReply.of(452, "4.5.3", "Error: too many recipients");

  // ---- 5xx: the command line ---------------------------------------------------------------

  public static final SmtpReply UNKNOWN_COMMAND =
      SmtpReply.of(500, "5.5.1", "Error: command not recognized");
  public static final SmtpReply LINE_TOO_LONG = SmtpReply.of(500, "5.5.2", "Error: line too long");
  public static final SmtpReply BARE_LINE_END_IN_COMMAND =
      SmtpReply.of(500, "5.5.2", "Error: bare <CR> or <LF> received; use <CR><LF>");
  public static final SmtpReply BAD_CHARACTERS =
      SmtpReply.of(500, "5.5.2", "Error: invalid characters in command");
  public static final SmtpReply INVALID_UTF8 =
      SmtpReply.of(500, "5.5.2", "Error: invalid UTF-8 in command");

  public static final SmtpReply HELO_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: HELO hostname");
  public static final SmtpReply EHLO_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: EHLO hostname");
  public static final SmtpReply MAIL_SYNTAX =
      SmtpReply.of(501, "5.5.4", "Syntax: MAIL FROM:<address>");
  public static final SmtpReply RCPT_SYNTAX =
      SmtpReply.of(501, "5.5.4", "Syntax: RCPT TO:<address>");
  public static final SmtpReply DATA_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: DATA");
  public static final SmtpReply RSET_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: RSET");
  public static final SmtpReply QUIT_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: QUIT");
  public static final SmtpReply VRFY_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: VRFY address");
  public static final SmtpReply STARTTLS_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: STARTTLS");

  public static final SmtpReply BAD_SENDER_SYNTAX =
      SmtpReply.of(501, "5.1.7", "Bad sender address syntax");
  public static final SmtpReply BAD_RECIPIENT_SYNTAX =
      SmtpReply.of(501, "5.1.3", "Bad recipient address syntax");
  public static final SmtpReply BAD_PARAMETER_SYNTAX =
      SmtpReply.of(501, "5.5.4", "Bad parameter syntax");
  public static final SmtpReply BAD_SIZE = SmtpReply.of(501, "5.5.4", "Bad SIZE parameter");
  public static final SmtpReply BAD_BODY = SmtpReply.of(501, "5.5.4", "Unsupported BODY type");
  public static final SmtpReply DUPLICATE_PARAMETER =
      SmtpReply.of(501, "5.5.4", "Duplicate parameter");
  public static final SmtpReply UNSUPPORTED_PARAMETER =
      SmtpReply.of(555, "5.5.4", "Unsupported option");

  /** RFC 6531 3.6.x: a non-ASCII address in a transaction without SMTPUTF8. */
  public static final SmtpReply UTF8_NOT_PERMITTED =
      SmtpReply.of(553, "5.6.7", "Non-ASCII address requires the SMTPUTF8 parameter");

  // ---- 5xx: sequence -----------------------------------------------------------------------

  public static final SmtpReply HELO_FIRST =
      SmtpReply.of(503, "5.5.1", "Error: send HELO/EHLO first");
  public static final SmtpReply NESTED_MAIL =
      SmtpReply.of(503, "5.5.1", "Error: nested MAIL command");
  public static final SmtpReply NEED_MAIL = SmtpReply.of(503, "5.5.1", "Error: need MAIL command");
  public static final SmtpReply NEED_RCPT = SmtpReply.of(503, "5.5.1", "Error: need RCPT command");
  public static final SmtpReply TLS_ALREADY_ACTIVE =
      SmtpReply.of(503, "5.5.1", "Error: TLS already active");
  public static final SmtpReply TLS_IN_TRANSACTION =
      SmtpReply.of(503, "5.5.1", "Error: MAIL transaction in progress");
  public static final SmtpReply TLS_NOT_AVAILABLE =
      SmtpReply.of(502, "5.5.1", "Error: command not implemented");

  // ---- 5xx: policy and content -------------------------------------------------------------

  /** RCPT for anything but our domains and the bare postmaster: we are never an open relay. */
  /** The attributes of XCLIENT we take, as the EHLO reply lists them. */
  public static final List<String> XCLIENT_ATTRIBUTES =
      List.of("ADDR", "PORT", "NAME", "HELO", "PROTO");

  /** XCLIENT from a client that is not a trusted relay (Postfix's text). */
  public static final SmtpReply XCLIENT_DENIED =
      SmtpReply.of(550, "5.7.0", "Error: insufficient authorization");

  public static final SmtpReply XCLIENT_IN_TRANSACTION =
      SmtpReply.of(503, "5.5.1", "Error: MAIL transaction in progress");

  /** A malformed XCLIENT command; {@code detail} names what is wrong. */
  public static SmtpReply xclientSyntax(String detail) {
    return SmtpReply.of(501, "5.5.4", detail);
  }

  public static SmtpReply relayDenied(String forwardPath) {
    return SmtpReply.of(550, "5.7.1", forwardPath + ": relay access denied");
  }

  /**
   * RCPT for a mailbox of our domains that does not exist ({@code recipients.mode: list}), or an
   * empty local part, which no mailbox has.
   */
  public static SmtpReply unknownMailbox(String forwardPath) {
    return SmtpReply.of(550, "5.1.1", forwardPath + ": Recipient address rejected: User unknown");
  }

  /** SIZE= in MAIL, or the content itself, beyond the limit (RFC 1870). */
  public static final SmtpReply MESSAGE_TOO_BIG =
      SmtpReply.of(552, "5.3.4", "Error: message size exceeds fixed limit");

  public static final SmtpReply TEXT_LINE_TOO_LONG =
      SmtpReply.of(500, "5.5.2", "Error: message content line too long");
  public static final SmtpReply BARE_LINE_END_IN_DATA =
      SmtpReply.of(550, "5.6.11", "Error: bare <CR> or <LF> in message content; use <CR><LF>");
  public static final SmtpReply NUL_IN_DATA =
      SmtpReply.of(550, "5.6.0", "Error: NUL character in message content");
}
