package org.mxtrap.delivery;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.Mailboxes;
import org.mxtrap.core.TraceInfo;
import org.mxtrap.smtp.wire.DotStuffing;
import org.mxtrap.smtp.wire.SmtpReply;
import org.mxtrap.smtp.wire.Xtext;

/**
 * One open SMTP or LMTP session with a peer, made by {@link SmtpClient#open}: any number of mail
 * transactions with {@link #send}, then {@link #close()} (QUIT).
 *
 * <h2>A transaction</h2>
 *
 * Before anything is sent, a message the peer cannot take fails for every recipient: larger than
 * the peer's SIZE ({@code 5.3.4}); 8-bit content to a peer without 8BITMIME ({@code 5.6.3}: RFC
 * 6152 allows converting or bouncing, and we bounce, because a conversion to quoted-printable must
 * rewrite MIME structure and would break signatures over the body); SMTPUTF8 to a peer without it
 * ({@code 5.6.7}, RFC 6531 3.4). Otherwise: RSET if an earlier transaction on this session did not
 * end with the end of data; XCLIENT naming the client the message came from, when the peer offers
 * it and that client is not named already (then EHLO again; a peer that refuses XCLIENT gets the
 * message without it); MAIL, every RCPT and DATA, in one write when the peer offers PIPELINING (RFC
 * 2920; our recipient lists are short enough that the replies cannot fill the socket buffers while
 * we write), else one at a time; then the content, dot-stuffed. Each reply is read with its own
 * timeout ({@link ClientTimeouts}).
 *
 * <h2>Results</h2>
 *
 * One per recipient, in the order given: 2xx delivered, 4xx deferred, 5xx failed, with the reply's
 * enhanced status (or {@code X.0.0} of its class when it has none). A refused MAIL answers for
 * every recipient, a refused RCPT for its recipient, a refused DATA and the reply after the end of
 * data for every accepted one; in LMTP each accepted recipient gets its own reply after the end of
 * data, in RCPT order (RFC 2033 4.2).
 *
 * <p>A lost connection, a timeout or a reply that is not SMTP defers ({@code 4.4.2}) every
 * recipient not yet answered and closes the session ({@link #isOpen()} is then false). That
 * includes a missing reply after the end of data: the peer may have taken the message, and the
 * recipient will be tried again, so it may get the message twice. RFC 5321 6.1 accepts that
 * duplicate rather than risk a loss; the 10-minute {@link ClientTimeouts#dataEnd()} keeps it rare.
 * A content stream that fails while it is sent is handled the same way: the connection is cut
 * before the end of data, so the peer discards the partial message.
 *
 * <p>Threading: one thread at a time. {@link #send} throws only for a closed session, or when the
 * content's stream cannot be opened (before anything of it was sent).
 */
public final class ClientSession implements AutoCloseable {

  /** 4.4.1: no answer from host (connection refused or timed out). */
  static final EnhancedStatus NO_ANSWER = new EnhancedStatus(4, 4, 1);

  /** 4.4.2: bad connection (lost, timed out, or out of step with the peer). */
  static final EnhancedStatus BAD_CONNECTION = new EnhancedStatus(4, 4, 2);

  /** 4.5.0: the peer answered something no SMTP server should. */
  static final EnhancedStatus PROTOCOL_ERROR = new EnhancedStatus(4, 5, 0);

  /** 4.7.10: encryption needed (RFC 5248), and the peer does not offer or refuses STARTTLS. */
  static final EnhancedStatus TLS_UNAVAILABLE = new EnhancedStatus(4, 7, 10);

  /** 4.7.5: cryptographic failure (a required TLS handshake failed). */
  static final EnhancedStatus TLS_FAILED = new EnhancedStatus(4, 7, 5);

  /** 5.3.4: message too big for system. */
  static final EnhancedStatus TOO_BIG = new EnhancedStatus(5, 3, 4);

  /** 5.6.3: conversion required but not supported. */
  static final EnhancedStatus CONVERSION_REQUIRED = new EnhancedStatus(5, 6, 3);

  /** 5.6.7: non-ASCII addresses not permitted for that recipient (RFC 6531). */
  static final EnhancedStatus UTF8_REQUIRED = new EnhancedStatus(5, 6, 7);

  private static final String END_OF_DATA = "the end of DATA";

  private final ClientConnection connection;
  private final SmtpClient.Settings settings;
  private final String relay;
  private Extensions extensions;
  // The XCLIENT line the peer last took: the client it now takes our mail from.
  private @Nullable String named;
  private boolean open = true;
  // A MAIL may have been accepted without an end of data: RSET before the next transaction.
  private boolean inTransaction;
  // What we were doing, for the text of a failure.
  private String step = "";

  private ClientSession(
      ClientConnection connection,
      SmtpClient.Settings settings,
      String relay,
      Extensions extensions) {
    this.connection = connection;
    this.settings = settings;
    this.relay = relay;
    this.extensions = extensions;
  }

  /** The TLS handshake failed after the peer's 220 to STARTTLS; the connection is closed. */
  static final class TlsHandshakeFailed extends IOException {
    private static final long serialVersionUID = 1L;
    private final String relay;
    private final String text;

    TlsHandshakeFailed(String relay, IOException cause) {
      this(relay, "TLS handshake with " + relay + " failed: " + describe(cause), cause);
    }

    private TlsHandshakeFailed(String relay, String text, IOException cause) {
      super(text, cause);
      this.relay = relay;
      this.text = text;
    }

    /** The failure as a deferral of every recipient. */
    Connect.Failed failure() {
      return new Connect.Failed(relay, TLS_FAILED, text);
    }
  }

  /** Greeting, EHLO (HELO) or LHLO, and STARTTLS per {@code tls}: see {@link SmtpClient#open}. */
  static Connect open(SmtpClient client, String host, InetSocketAddress address, TlsPolicy tls)
      throws TlsHandshakeFailed {
    SmtpClient.Settings settings = client.settings();
    ClientTimeouts t = settings.timeouts();
    String relay = host + "[" + Addresses.text(address.getAddress()) + "]:" + address.getPort();
    ClientConnection c;
    try {
      c = ClientConnection.open(address, t.connect(), client.timer());
    } catch (IOException e) {
      return new Connect.Failed(relay, NO_ANSWER, "connect to " + relay + ": " + describe(e));
    }
    boolean opened = false;
    String step = "the greeting";
    try {
      SmtpReply greeting = c.read(t.greeting());
      if (greeting.code() != 220) {
        return refused(relay, greeting, step);
      }
      step = hello(settings);
      SmtpReply hello = hello(c, settings, step);
      if (settings.protocol() == Protocol.SMTP && hello.code() / 100 == 5) {
        step = "HELO"; // RFC 5321 3.2: a server that does not know EHLO
        hello = command(c, "HELO " + settings.heloName(), t.command());
      }
      if (hello.code() != 250) {
        return refused(relay, hello, step);
      }
      Extensions extensions = step.equals("HELO") ? Extensions.NONE : Extensions.of(hello);
      if (tls != TlsPolicy.OFF) {
        step = "STARTTLS";
        if (extensions.startTls()) {
          SmtpReply reply = command(c, "STARTTLS", t.command());
          if (reply.code() == 220) {
            try {
              c.startTls(client.tlsContext(), host, t.command());
            } catch (IOException e) {
              throw new TlsHandshakeFailed(relay, e);
            }
            step = hello(settings); // RFC 3207 4.2: forget what was learnt before TLS
            hello = hello(c, settings, step);
            if (hello.code() != 250) {
              return refused(relay, hello, step);
            }
            extensions = Extensions.of(hello);
          } else if (tls == TlsPolicy.REQUIRED) {
            return new Connect.Failed(
                relay, TLS_UNAVAILABLE, "TLS is required: " + said(reply, "STARTTLS"));
          }
        } else if (tls == TlsPolicy.REQUIRED) {
          return new Connect.Failed(
              relay, TLS_UNAVAILABLE, "TLS is required and " + relay + " does not offer STARTTLS");
        }
      }
      opened = true;
      return new Connect.Open(new ClientSession(c, settings, relay, extensions));
    } catch (TlsHandshakeFailed e) {
      throw e;
    } catch (IOException e) {
      return new Connect.Failed(relay, BAD_CONNECTION, failure(relay, step, e));
    } finally {
      if (!opened) {
        c.close();
      }
    }
  }

  private static String hello(SmtpClient.Settings settings) {
    return settings.protocol() == Protocol.LMTP ? "LHLO" : "EHLO";
  }

  private static SmtpReply hello(ClientConnection c, SmtpClient.Settings settings, String verb)
      throws IOException {
    return command(c, verb + " " + settings.heloName(), settings.timeouts().command());
  }

  private static SmtpReply command(ClientConnection c, String line, Duration timeout)
      throws IOException {
    c.write(line + "\r\n", timeout);
    return c.read(timeout);
  }

  /** A session refused before mail: the reply's status, unless it is no refusal at all. */
  private static Connect.Failed refused(String relay, SmtpReply reply, String step) {
    EnhancedStatus s = status(reply);
    return new Connect.Failed(relay, s.statusClass() == 2 ? PROTOCOL_ERROR : s, said(reply, step));
  }

  /** {@code host[address]:port}: where results say the mail went. */
  public String relay() {
    return relay;
  }

  /** The TLS protocol and cipher suite, when the session is encrypted. */
  public Optional<String> tls() {
    return Optional.ofNullable(connection.tls());
  }

  /** False once the connection is lost or closed: open a new session for more mail. */
  public boolean isOpen() {
    return open;
  }

  /**
   * Whether another transaction may follow: the session is open (no timeout, no lost connection)
   * and the peer never said 421. A connection cache keeps only such sessions.
   */
  boolean reusable() {
    return open && !connection.closing();
  }

  /** The peer said 421: it is closing the connection. */
  boolean peerClosing() {
    return connection.closing();
  }

  /** The replies read on this session so far, the greeting and EHLO included. */
  int replies() {
    return connection.replies();
  }

  /**
   * Sends one message; returns a result for each of its recipients, in order. See the class comment
   * for what each reply means.
   *
   * @throws IllegalStateException when the session is closed
   * @throws IOException when the content cannot be opened; nothing was sent, the session stays open
   */
  public List<RecipientResult> send(OutboundMessage m) throws IOException {
    if (!open) {
      throw new IllegalStateException("the session with " + relay + " is closed");
    }
    List<ForwardPath> recipients = m.recipients();
    RecipientResult[] results = new RecipientResult[recipients.size()];
    EnhancedStatus refusal = null;
    String why = "";
    if (extensions.maxSize() > 0 && m.size() > extensions.maxSize()) {
      refusal = TOO_BIG;
      why = "message of " + m.size() + " octets, over the limit of " + extensions.maxSize();
    } else if (m.eightBitMime() && !extensions.eightBitMime()) {
      refusal = CONVERSION_REQUIRED;
      why = "8-bit content, and no 8BITMIME offered; not converted (RFC 6152)";
    } else if (m.smtpUtf8() && !extensions.smtpUtf8()) {
      refusal = UTF8_REQUIRED;
      why = "the message needs SMTPUTF8, and it is not offered (RFC 6531)";
    }
    if (refusal != null) {
      String text = relay + ": " + why;
      EnhancedStatus status = refusal;
      return recipients.stream().map(r -> result(r, relay, status, text)).toList();
    }
    try (InputStream content = m.content().open()) {
      try {
        transaction(m, content, results);
      } catch (IOException e) {
        open = false;
        connection.close();
        String text =
            step.equals(END_OF_DATA)
                ? failure(relay, step, e)
                    + "; the peer may have the message, so the retry may duplicate it"
                : failure(relay, step, e);
        for (int i = 0; i < results.length; i++) {
          if (results[i] == null) {
            results[i] = result(recipients.get(i), relay, BAD_CONNECTION, text);
          }
        }
      }
    }
    return Arrays.asList(results);
  }

  /** One transaction, filling {@code results} as replies come. */
  private void transaction(OutboundMessage m, InputStream content, RecipientResult[] results)
      throws IOException {
    ClientTimeouts t = settings.timeouts();
    if (inTransaction) {
      step = "RSET";
      SmtpReply reply = command(connection, "RSET", t.command());
      if (reply.code() != 250) {
        throw new ProtocolException(said(reply, step));
      }
    }
    TraceInfo origin = m.origin();
    if (origin != null
        && extensions.xclient().contains("ADDR")
        && settings.protocol() == Protocol.SMTP) {
      xclient(origin);
    }
    inTransaction = true;
    List<ForwardPath> recipients = m.recipients();
    String mail = "MAIL FROM:" + m.reversePath() + parameters(m) + "\r\n";
    List<Integer> accepted = new ArrayList<>();
    SmtpReply mailReply;
    SmtpReply dataReply = null;
    if (extensions.pipelining()) {
      StringBuilder group = new StringBuilder(mail);
      recipients.forEach(r -> group.append("RCPT TO:").append(r).append("\r\n"));
      step = "MAIL FROM";
      connection.write(group.append("DATA\r\n").toString(), t.mail());
      mailReply = connection.read(t.mail());
      step = "RCPT TO";
      for (int i = 0; i < recipients.size(); i++) {
        SmtpReply reply = connection.read(t.rcpt());
        if (mailReply.code() / 100 == 2) {
          rcpt(i, reply, m, results, accepted);
        }
      }
      step = "DATA";
      dataReply = connection.read(t.dataInit());
    } else {
      step = "MAIL FROM";
      connection.write(mail, t.mail());
      mailReply = connection.read(t.mail());
      if (mailReply.code() / 100 == 2) {
        step = "RCPT TO";
        for (int i = 0; i < recipients.size(); i++) {
          connection.write("RCPT TO:" + recipients.get(i) + "\r\n", t.rcpt());
          rcpt(i, connection.read(t.rcpt()), m, results, accepted);
        }
        if (!accepted.isEmpty()) {
          step = "DATA";
          dataReply = command(connection, "DATA", t.dataInit());
        }
      }
    }
    if (mailReply.code() / 100 != 2) {
      for (int i = 0; i < results.length; i++) {
        results[i] = replyResult(recipients.get(i), mailReply, "MAIL FROM");
      }
    }
    if (dataReply == null) {
      return;
    }
    if (dataReply.code() != 354) {
      if (dataReply.isPositive()) {
        throw new ProtocolException(said(dataReply, "DATA"));
      }
      for (int i : accepted) {
        results[i] = replyResult(recipients.get(i), dataReply, "DATA");
      }
      return;
    }
    if (accepted.isEmpty()) {
      // A pipelined DATA accepted with no recipient (RFC 2920 forbids it): end it empty.
      step = END_OF_DATA;
      connection.write(".\r\n", t.dataBlock());
      if (settings.protocol() == Protocol.SMTP) {
        connection.read(t.dataEnd());
      }
      inTransaction = false;
      return;
    }
    step = "the message content";
    DotStuffing.write(content, connection.content(t.dataBlock()));
    step = END_OF_DATA;
    if (settings.protocol() == Protocol.SMTP) {
      SmtpReply reply = connection.read(t.dataEnd());
      for (int i : accepted) {
        results[i] = replyResult(recipients.get(i), reply, step);
      }
    } else {
      for (int i : accepted) {
        results[i] = replyResult(recipients.get(i), connection.read(t.dataEnd()), step);
      }
    }
    inTransaction = false;
  }

  /**
   * Names the message's client with XCLIENT (Postfix's XCLIENT_README), with the attributes the
   * peer offers: the peer starts the session again with 220, and we introduce ourselves again
   * (EHLO). Skipped when that client is named already. A peer that refuses it (4xx, 5xx) gets the
   * message without it, and reads our Received header instead; it is not asked again.
   */
  private void xclient(TraceInfo origin) throws IOException {
    String line = xclientLine(origin, extensions.xclient());
    if (line.equals(named)) {
      return;
    }
    step = "XCLIENT";
    Duration timeout = settings.timeouts().command();
    SmtpReply reply = command(connection, line, timeout);
    if (reply.code() != 220) {
      if (reply.isPositive()) {
        throw new ProtocolException(said(reply, step));
      }
      extensions = extensions.withoutXclient();
      return;
    }
    named = line;
    step = "EHLO";
    SmtpReply hello = hello(connection, settings, step);
    if (hello.code() != 250) {
      throw new ProtocolException(said(hello, "EHLO after XCLIENT"));
    }
    extensions = Extensions.of(hello);
  }

  /**
   * {@code XCLIENT ADDR=192.0.2.7 PORT=53122 NAME=client.example.org HELO=helo PROTO=ESMTP}, only
   * the attributes in {@code offered}, values in xtext; an unknown name is {@code [UNAVAILABLE]}.
   */
  static String xclientLine(TraceInfo origin, Set<String> offered) {
    InetAddress a = origin.client().getAddress();
    StringBuilder b = new StringBuilder("XCLIENT");
    b.append(" ADDR=").append(a instanceof Inet6Address ? "IPV6:" : "").append(Addresses.text(a));
    if (offered.contains("PORT") && origin.client().getPort() > 0) {
      b.append(" PORT=").append(origin.client().getPort());
    }
    if (offered.contains("NAME")) {
      String name = origin.clientName();
      b.append(" NAME=").append(name == null ? "[UNAVAILABLE]" : Xtext.encode(name));
    }
    if (offered.contains("HELO")) {
      b.append(" HELO=").append(Xtext.encode(origin.helo()));
    }
    if (offered.contains("PROTO")) {
      b.append(" PROTO=").append(origin.protocol().startsWith("SMTP") ? "SMTP" : "ESMTP");
    }
    return b.toString();
  }

  /** The reply to the RCPT of recipient {@code i}. */
  private void rcpt(
      int i, SmtpReply reply, OutboundMessage m, RecipientResult[] results, List<Integer> accepted)
      throws ProtocolException {
    if (reply.code() / 100 == 2) {
      accepted.add(i);
    } else {
      results[i] = replyResult(m.recipients().get(i), reply, "RCPT TO");
    }
  }

  /**
   * Asks whether the peer takes mail for {@code recipient}, sending no message: {@code MAIL
   * FROM:<>}, {@code RCPT TO}, then {@code RSET} (in one write when the peer offers PIPELINING), as
   * Postfix's address verification does. Only the reply to RCPT decides ({@link Verification}); a
   * lost connection or a timeout closes the session and cannot tell.
   *
   * @throws IllegalStateException when the session is closed, or a transaction of {@link #send} did
   *     not end (verify on a session of its own)
   */
  public Verification verify(ForwardPath recipient) {
    if (!open || inTransaction) {
      throw new IllegalStateException("no session with " + relay + " to verify on");
    }
    boolean utf8 = !StandardCharsets.US_ASCII.newEncoder().canEncode(recipient.toString());
    if (utf8 && !extensions.smtpUtf8()) {
      return new Verification(
          Mailboxes.Answer.CANNOT_TELL,
          relay,
          relay + ": the address needs SMTPUTF8, and it is not offered (RFC 6531)");
    }
    String mail = "MAIL FROM:<>" + (utf8 ? " SMTPUTF8" : "");
    String rcpt = "RCPT TO:" + recipient;
    ClientTimeouts t = settings.timeouts();
    try {
      SmtpReply mailReply;
      SmtpReply rcptReply = null;
      inTransaction = true;
      step = "MAIL FROM";
      if (extensions.pipelining()) {
        connection.write(mail + "\r\n" + rcpt + "\r\nRSET\r\n", t.mail());
        mailReply = connection.read(t.mail());
        step = "RCPT TO";
        rcptReply = connection.read(t.rcpt());
      } else {
        mailReply = command(connection, mail, t.mail());
        if (mailReply.code() / 100 == 2) {
          step = "RCPT TO";
          rcptReply = command(connection, rcpt, t.rcpt());
        }
        connection.write("RSET\r\n", t.command());
      }
      step = "RSET";
      SmtpReply reset = connection.read(t.command());
      if (reset.code() != 250) {
        throw new ProtocolException(said(reset, step));
      }
      inTransaction = false;
      if (mailReply.code() / 100 != 2 || rcptReply == null) {
        return new Verification(Mailboxes.Answer.CANNOT_TELL, relay, said(mailReply, "MAIL FROM"));
      }
      Mailboxes.Answer answer =
          switch (rcptReply.code() / 100) {
            case 2 -> Mailboxes.Answer.EXISTS;
            case 5 -> Mailboxes.Answer.UNKNOWN;
            default -> Mailboxes.Answer.CANNOT_TELL;
          };
      return new Verification(answer, relay, said(rcptReply, "RCPT TO"));
    } catch (IOException e) {
      open = false;
      connection.close();
      return new Verification(Mailboxes.Answer.CANNOT_TELL, relay, failure(relay, step, e));
    }
  }

  /** The MAIL parameters the message needs and the peer offers (checked before). */
  private String parameters(OutboundMessage m) {
    StringBuilder b = new StringBuilder();
    if (extensions.maxSize() >= 0) {
      b.append(" SIZE=").append(m.size());
    }
    if (m.eightBitMime()) {
      b.append(" BODY=8BITMIME");
    }
    if (m.smtpUtf8()) {
      b.append(" SMTPUTF8");
    }
    return b.toString();
  }

  /** Says QUIT and waits for its reply, unless the session is closed already; then closes. */
  @Override
  public void close() {
    if (open) {
      open = false;
      try {
        command(connection, "QUIT", settings.timeouts().command());
      } catch (IOException e) {
        // The peer has our mail or our failure already; how it says goodbye changes nothing.
      }
    }
    connection.close();
  }

  /** The result a reply gives a recipient; a 3xx (or a 2xx to DATA) answers nothing we asked. */
  private RecipientResult replyResult(ForwardPath recipient, SmtpReply reply, String command)
      throws ProtocolException {
    if (reply.code() / 100 == 3) {
      throw new ProtocolException(said(reply, command));
    }
    return result(recipient, relay, status(reply), said(reply, command));
  }

  /** Delivered, deferred or failed by the class of {@code status}. */
  static RecipientResult result(
      ForwardPath recipient, String relay, EnhancedStatus status, String text) {
    return switch (status.statusClass()) {
      case 2 -> new RecipientResult.Delivered(recipient, relay, status, text);
      case 4 -> new RecipientResult.Deferred(recipient, relay, status, text);
      default -> new RecipientResult.Failed(recipient, relay, status, text);
    };
  }

  /**
   * The reply's enhanced status, or {@code X.0.0} of its class; for a 3xx, which no status has,
   * {@link #PROTOCOL_ERROR}.
   */
  private static EnhancedStatus status(SmtpReply reply) {
    String status = reply.status();
    int statusClass = reply.code() / 100;
    if (statusClass == 3) {
      return PROTOCOL_ERROR;
    }
    return status != null ? EnhancedStatus.parse(status) : new EnhancedStatus(statusClass, 0, 0);
  }

  /** {@code 550 5.1.1 no such user (in reply to RCPT TO)}, the lines of the reply joined. */
  private static String said(SmtpReply reply, String command) {
    return reply.toString().replace("\r\n", " ") + " (in reply to " + command + ")";
  }

  private static String failure(String relay, String step, IOException e) {
    return describe(e) + " with " + relay + " during " + step;
  }

  private static String describe(IOException e) {
    return switch (e) {
      case SocketTimeoutException t -> "timeout";
      case EOFException end -> "connection closed";
      default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    };
  }
}
