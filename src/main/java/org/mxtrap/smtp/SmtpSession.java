package org.mxtrap.smtp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Admission;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.Mailboxes;
import org.mxtrap.core.MessageSink;
import org.mxtrap.core.ReversePath;
import org.mxtrap.core.Sender;
import org.mxtrap.core.TraceInfo;
import org.mxtrap.smtp.SessionState.Connected;
import org.mxtrap.smtp.SessionState.Ended;
import org.mxtrap.smtp.SessionState.Greeted;
import org.mxtrap.smtp.SessionState.Hello;
import org.mxtrap.smtp.SessionState.InTransaction;
import org.mxtrap.smtp.wire.DataReader;
import org.mxtrap.smtp.wire.DataResult;
import org.mxtrap.smtp.wire.InputLine;
import org.mxtrap.smtp.wire.LineReader;
import org.mxtrap.smtp.wire.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP conversation as the server side (RFC 5321), from the 220 greeting to its end, over a
 * {@link Transport}. The server decides before {@link #run()} whether to serve the connection at
 * all; a session always greets.
 *
 * <p>Replies are collected and written in one go when the client has nothing more buffered
 * (PIPELINING, RFC 2920), and always before we wait for message content after 354 and before the
 * TLS handshake after STARTTLS.
 *
 * <p>Failure guarantee: nothing the client sends makes {@link #run()} throw. A read timeout ends
 * the session with 421 4.4.2; the end of input ends it quietly; an open message is aborted in
 * either case. Only {@link IOException}s of the transport itself (and bugs) propagate; the caller
 * closes the connection. Not thread-safe: one session, one thread.
 *
 * <p>Logs (Postfix style, one line each): every refused command as {@code reject: VERB from
 * [ip]:port: <reply>}, every accepted message as {@code <queue id>: from=<...>, size=...,
 * nrcpt=..., client=[ip]:port, local=ip:port, role=..., pref=..., proto=...}. The caller sets the
 * log context (the session ID in every line).
 *
 * <p><b>Trusted relays</b> ({@link SessionSettings#trusts}; our backups) may name the client they
 * relay for. With XCLIENT (Postfix's XCLIENT_README; offered in EHLO to them only, refused with 550
 * 5.7.0 to anyone else) the session starts again as the named client's: a new 220, the client's
 * address, name, HELO and protocol in the Received header and the logs. Without it (a third-party
 * fallback host), the client is read from the relay's own Received field at the top of the message
 * ({@link ReceivedField}). Either way the trap engine judges that client ({@link
 * Admission#relayed}) and the decision is logged, but the mail is never refused for it: the relay
 * has accepted it already, and a refusal would make it bounce to a sender that may be forged. A
 * message whose client would have been refused gets an {@code X-Mxtrap-Suspect} field at its top
 * instead, for the mail store's filters (a Sieve {@code fileinto "Junk"}, say).
 */
public final class SmtpSession {
  private static final Logger log = LoggerFactory.getLogger("smtpd");

  private final SessionSettings settings;
  private final ClientFacts connection;
  private final boolean trustedRelay;
  private final MessageSink sink;
  private final Clock clock;
  private final Transport transport;
  private final AcceptedDomains acceptedDomains;
  private final Mailboxes mailboxes;
  private final Admission admission;
  private final LineReader input;
  private final ByteArrayOutputStream pendingReplies = new ByteArrayOutputStream();
  private SessionState state = new Connected();
  private int errors;
  private int unknownRecipients;

  /** Who the mail is from: the connection's client, or the one a trusted relay named. */
  private ClientFacts client;

  /** What XCLIENT said beyond the client's address, and the engine's decision about that client. */
  private record Named(@Nullable String helo, @Nullable String proto, Decision decision) {}

  private @Nullable Named named;

  /** The engine decides after MAIL FROM and has not yet ({@link ClientFacts#decideAtMail}). */
  private boolean undecided;

  /** The last HELO or EHLO name the client gave, or null. */
  private @Nullable String helo;

  /**
   * @param mailboxes asked at RCPT whether a mailbox of our domains exists
   * @param admission told when the client has asked for {@code maxUnknown} unknown mailboxes
   */
  public SmtpSession(
      SessionSettings settings,
      ClientFacts client,
      MessageSink sink,
      Mailboxes mailboxes,
      Admission admission,
      Clock clock,
      Transport transport) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.connection = Objects.requireNonNull(client, "client");
    this.client = client;
    this.trustedRelay = settings.trusts(client.remote().getAddress());
    this.sink = Objects.requireNonNull(sink, "sink");
    this.mailboxes = Objects.requireNonNull(mailboxes, "mailboxes");
    this.admission = Objects.requireNonNull(admission, "admission");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.transport = Objects.requireNonNull(transport, "transport");
    this.acceptedDomains = new AcceptedDomains(settings.acceptedDomains());
    this.input = new LineReader(transport.in());
    this.undecided = client.decideAtMail();
  }

  /**
   * Greets, then reads and answers commands until QUIT, end of input, a timeout, too many errors or
   * a failed TLS handshake. Call once.
   *
   * @throws IOException when the transport fails (not for anything the client sends)
   */
  public void run() throws IOException {
    try {
      serve();
    } finally {
      if (undecided) {
        // It left (or was cut off) before a MAIL FROM: decided on what it said.
        undecided = false;
        admission.connect(contactNow(), new Sender(helo, null));
      }
    }
  }

  private void serve() throws IOException {
    reply(Replies.greeting(settings.hostname()));
    try {
      while (!(state instanceof Ended)) {
        // Replies wait only for a whole pipelined command behind them (RFC 2920): a client that
        // sent part of a line may be waiting for them before it sends the rest.
        if (!input.hasBufferedLine()) {
          flush();
        }
        if (transport.stopping()) {
          state = shuttingDown();
          continue;
        }
        boolean idle = !input.hasBuffered();
        transport.awaitingCommand(idle);
        transport.lineDeadline(settings.commandTimeout());
        InputLine line = input.readLine(LineReader.MAX_COMMAND_LINE);
        transport.awaitingCommand(false);
        state = next(line);
      }
    } catch (SocketTimeoutException e) {
      log.info("timeout after {} from {}", lastStage(), clientText());
      reply(Replies.timeout(settings.hostname()));
      state = new Ended();
    }
    flush();
  }

  private SessionState next(InputLine line) throws IOException {
    return switch (line) {
      case InputLine.Complete c -> handle(CommandParser.parse(c.octets(), utf8Transaction()));
      case InputLine.TooLong t -> refuse("unknown", Replies.LINE_TOO_LONG, state);
      case InputLine.BareLineEnd b -> refuse("unknown", Replies.BARE_LINE_END_IN_COMMAND, state);
      case InputLine.End e -> {
        if (transport.stopping()) {
          yield shuttingDown();
        }
        log.debug("lost connection after {} from {}", lastStage(), clientText());
        yield new Ended();
      }
    };
  }

  /** The server is stopping and we are between commands: say so (RFC 5321 3.8) and end. */
  private SessionState shuttingDown() {
    log.info("disconnect: server stopping, after {} from {}", lastStage(), clientText());
    reply(Replies.shuttingDown(settings.hostname()));
    return new Ended();
  }

  private boolean utf8Transaction() {
    return state instanceof InTransaction t && t.transaction().parameters().smtpUtf8();
  }

  /** Every transition of {@link #state} is made here and in the methods it calls. */
  private SessionState handle(Command command) throws IOException {
    return switch (command) {
      case Command.Helo h -> hello(new Hello(h.domain(), false));
      case Command.Ehlo e -> hello(new Hello(e.domain(), true));
      case Command.Mail m -> mail(m);
      case Command.Rcpt r -> rcpt(r);
      case Command.Data d -> data();
      case Command.Rset r -> {
        reply(Replies.OK);
        yield withoutTransaction();
      }
      case Command.Noop n -> ok(Replies.OK);
      case Command.Vrfy v -> ok(Replies.CANNOT_VRFY);
      case Command.Help h -> ok(Replies.HELP);
      case Command.Quit q -> {
        reply(Replies.BYE);
        yield new Ended();
      }
      case Command.StartTls s -> startTls();
      case Command.Xclient x -> xclient(x);
      case Command.Invalid i -> refuse(i.verb(), i.reply(), state);
    };
  }

  private SessionState ok(SmtpReply reply) {
    reply(reply);
    return state;
  }

  /** RSET (RFC 5321 4.1.1.5): the transaction goes, the connection state stays. */
  private SessionState withoutTransaction() {
    return switch (state) {
      case Connected c -> c;
      case Greeted g -> g;
      case InTransaction t -> new Greeted(t.hello());
      case Ended e -> e;
    };
  }

  /** HELO/EHLO: also a reset of any transaction (RFC 5321 4.1.4). */
  private SessionState hello(Hello hello) {
    reply(
        hello.extended()
            ? Replies.ehlo(
                settings.hostname(),
                settings.maxMessageSize(),
                transport.tlsAvailable(),
                trustedRelay)
            : Replies.helo(settings.hostname()));
    helo = hello.name();
    return new Greeted(hello);
  }

  private SessionState mail(Command.Mail mail) {
    return switch (state) {
      case Connected c -> refuse("MAIL", Replies.HELO_FIRST, c);
      case InTransaction t -> refuse("MAIL", Replies.NESTED_MAIL, t);
      case Ended e -> e;
      case Greeted g -> {
        MailParameters p = mail.parameters();
        if (p.any() && !g.hello().extended()) {
          yield refuse("MAIL", Replies.UNSUPPORTED_PARAMETER, g);
        }
        if (p.size() > settings.maxMessageSize()) {
          yield refuse("MAIL", Replies.MESSAGE_TOO_BIG, g);
        }
        // A source route in the reverse path is dropped, as RFC 5321 4.1.2 says a receiver
        // should; whether the sender is acceptable is policy's business, not the parser's.
        Path path = mail.reversePath();
        ReversePath reversePath = path == null ? ReversePath.NULL : new ReversePath(path.mailbox());
        Mailbox from = reversePath.mailbox();
        if (undecided) {
          undecided = false;
          Decision d =
              admission.connect(
                  contactNow(),
                  new Sender(g.hello().name(), from == null ? null : from.toString()));
          if (!d.serves()) {
            // A trap hit, a disarmed trap, a backup skip: the reply the greeting would have had.
            SmtpReply r = Replies.instead(d, settings.hostname());
            reply(r);
            log.info(
                "reject: MAIL from {}: {}; verdict={} action={}",
                clientText(),
                r.firstLine(),
                d.verdict().label(),
                d.action().label());
            yield new Ended();
          }
        } else if (from != null && !trustedRelay) {
          // The sender's domain becomes an identity of this contact: it may excuse the fallback
          // of another client of the same sender (SPF) later.
          admission.identified(contactNow(), new Sender(g.hello().name(), from.toString()));
        }
        reply(Replies.SENDER_OK);
        yield new InTransaction(g.hello(), new MailTransaction(reversePath, p, List.of()));
      }
    };
  }

  /** The connection's client now. */
  private Contact contactNow() {
    return new Contact(
        connection.remote().getAddress(), connection.local(), connection.entry(), clock.instant());
  }

  private SessionState rcpt(Command.Rcpt rcpt) {
    return switch (state) {
      case Connected c -> refuse("RCPT", Replies.HELO_FIRST, c);
      case Greeted g -> refuse("RCPT", Replies.NEED_MAIL, g);
      case Ended e -> e;
      case InTransaction t -> {
        if (t.transaction().recipients().size() >= settings.maxRecipients()) {
          // Not counted as an error: a legitimate mailer with many recipients just retries them.
          reply(Replies.TOO_MANY_RECIPIENTS);
          logReject("RCPT", Replies.TOO_MANY_RECIPIENTS);
          yield t;
        }
        Optional<ForwardPath> local = acceptedDomains.localRecipient(rcpt.forwardPath());
        if (local.isEmpty()) {
          yield refuse("RCPT", Replies.relayDenied(rcpt.forwardPath().toString()), t);
        }
        Mailbox mailbox = local.get().mailbox();
        Mailboxes.Answer answer =
            mailbox.localPart().isEmpty() ? Mailboxes.Answer.UNKNOWN : mailboxes.lookup(mailbox);
        yield switch (answer) {
          case UNKNOWN -> unknownRecipient(rcpt, t);
          case CANNOT_TELL ->
              refuse("RCPT", Replies.mailboxNotVerified(rcpt.forwardPath().toString()), t);
          case EXISTS -> {
            reply(Replies.RECIPIENT_OK);
            // The same mailbox twice (Bob@, bob@, "bob"@) is accepted, and delivered once.
            yield t.transaction().hasMailbox(mailbox)
                ? t
                : new InTransaction(t.hello(), t.transaction().withRecipient(local.get()));
          }
        };
      }
    };
  }

  /**
   * 550 5.1.1 for a mailbox that does not exist. At {@code maxUnknown} of them in one session the
   * client is a dictionary attacker: the trap engine decides (and suppresses), and unless it serves
   * the client after all (allow list), the session ends with 421.
   */
  private SessionState unknownRecipient(Command.Rcpt rcpt, InTransaction t) {
    SessionState next = refuse("RCPT", Replies.unknownMailbox(rcpt.forwardPath().toString()), t);
    if (++unknownRecipients != settings.maxUnknown() || next instanceof Ended) {
      return next;
    }
    if (trustedRelay && named == null) {
      return next; // the relay asks for others: it is no dictionary attacker itself
    }
    Contact contact =
        named == null
            ? new Contact(
                client.remote().getAddress(), client.local(), client.entry(), clock.instant())
            : relayedContact(client.remote().getAddress());
    Decision d = admission.dictionary(contact, unknownRecipients);
    if (d.serves() || named != null) {
      return next; // the relay's session goes on: it is not the attacker, and has other mail
    }
    SmtpReply closing = Replies.dictionaryClosing(settings.hostname());
    reply(closing);
    log.info(
        "reject: RCPT from {}: {}; verdict={} action={}",
        clientText(),
        closing.firstLine(),
        d.verdict().label(),
        d.action().label());
    return new Ended();
  }

  private SessionState data() throws IOException {
    return switch (state) {
      case Connected c -> refuse("DATA", Replies.HELO_FIRST, c);
      case Greeted g -> refuse("DATA", Replies.NEED_MAIL, g);
      case Ended e -> e;
      case InTransaction t ->
          t.transaction().recipients().isEmpty()
              ? refuse("DATA", Replies.NEED_RCPT, t)
              : receive(t.hello(), t.transaction());
    };
  }

  /**
   * DATA with recipients: open the message before saying 354 (so a storage failure needs no
   * content), read the content, then commit or abort. Whatever happens, the transaction is over.
   */
  private SessionState receive(Hello hello, MailTransaction tx) throws IOException {
    Greeted after = new Greeted(hello);
    MailParameters p = tx.parameters();
    Envelope envelope = new Envelope(tx.reversePath(), tx.recipients(), p.bodyType(), p.smtpUtf8());
    Named n = named;
    String helo = n == null || n.helo() == null ? hello.name() : n.helo();
    String proto = n == null || n.proto() == null ? protocol(hello, p.smtpUtf8()) : n.proto();
    TraceInfo trace =
        new TraceInfo(
            client.remote(),
            client.reverseName(),
            helo,
            client.local(),
            client.entry(),
            proto,
            transport.tlsDescription(),
            clock.instant());
    MessageSink.Incoming incoming;
    try {
      incoming = sink.open(envelope, trace);
    } catch (IOException e) {
      log.warn("cannot open a queue file for {}: {}", clientText(), e.toString());
      return refuse("DATA", Replies.STORAGE_FAILED, after);
    }
    try (incoming) {
      reply(Replies.START_MAIL_INPUT);
      flush();
      transport.dataDeadline(settings.commandTimeout(), settings.minDataRate());
      FirstFieldHold hold =
          trustedRelay ? new FirstFieldHold(incoming.content(), this::suspectMark) : null;
      DataResult result =
          DataReader.read(
              input, hold == null ? incoming.content() : hold, settings.maxMessageSize());
      if (hold != null && result.outcome() == DataResult.Outcome.COMPLETE) {
        try {
          hold.finish();
        } catch (IOException e) {
          log.warn("queue file write error for {}: {}", clientText(), e.toString());
          return refuse("DATA", Replies.STORAGE_FAILED, after);
        }
      }
      return switch (result.outcome()) {
        case COMPLETE -> commit(incoming, tx, trace, result.size(), after);
        case TOO_BIG -> refuse("DATA", Replies.MESSAGE_TOO_BIG, after);
        case LINE_TOO_LONG -> refuse("DATA", Replies.TEXT_LINE_TOO_LONG, after);
        case BARE_LINE_END -> refuse("DATA", Replies.BARE_LINE_END_IN_DATA, after);
        case NUL -> refuse("DATA", Replies.NUL_IN_DATA, after);
        case SINK_FAILED -> {
          // As a string: SLF4J would take a trailing Throwable for the stack trace, not the {}.
          log.warn(
              "queue file write error for {}: {}",
              clientText(),
              String.valueOf(result.sinkFailure()));
          yield refuse("DATA", Replies.STORAGE_FAILED, after);
        }
        case END_OF_INPUT -> {
          log.info("lost connection after DATA ({} bytes) from {}", result.size(), clientText());
          yield new Ended();
        }
      };
    } // closing aborts whatever was not committed
  }

  private SessionState commit(
      MessageSink.Incoming incoming,
      MailTransaction tx,
      TraceInfo trace,
      long size,
      Greeted after) {
    String queueId;
    try {
      queueId = incoming.commit();
    } catch (IOException e) { // the sink has aborted the message
      log.warn("queue file commit failed for {}: {}", clientText(), e.toString());
      return refuse("DATA", Replies.STORAGE_FAILED, after);
    }
    log.info(
        "{}: from={}, size={}, nrcpt={}, client={}, local={}, role={}, pref={}, proto={}",
        queueId,
        tx.reversePath(),
        size,
        tx.recipients().size(),
        clientText(),
        Addresses.literal(client.local().getAddress(), client.local().getPort()),
        client.entry().role().label(),
        client.entry().preference(),
        trace.protocol());
    reply(Replies.queued(queueId));
    return after;
  }

  /**
   * XCLIENT from a trusted relay, outside a transaction: the session starts again (220) as the
   * named client's, whom the engine judges now. Without ADDR it starts again as the relay's own.
   */
  private SessionState xclient(Command.Xclient x) {
    if (!trustedRelay) {
      return refuse("XCLIENT", Replies.XCLIENT_DENIED, state);
    }
    if (state instanceof InTransaction t) {
      return refuse("XCLIENT", Replies.XCLIENT_IN_TRANSACTION, t);
    }
    InetAddress addr = x.addr();
    if (addr == null) {
      client = connection;
      named = null;
    } else {
      client =
          new ClientFacts(
              new InetSocketAddress(addr, x.port()),
              connection.local(),
              connection.entry(),
              connection.sessionId(),
              x.name());
      Decision d = admission.relayed(relayedContact(addr));
      named = new Named(x.helo(), x.proto(), d);
      log.info(
          "xclient: client={} name={} via {}: verdict={} action={}",
          clientText(),
          x.name() == null ? "unknown" : x.name(),
          Addresses.literal(connection.remote().getAddress(), connection.remote().getPort()),
          d.verdict().label(),
          d.action().label());
    }
    reply(Replies.greeting(settings.hostname()));
    return new Connected();
  }

  private Contact relayedContact(InetAddress relayedClient) {
    return Contact.relayed(
        relayedClient,
        connection.remote().getAddress(),
        connection.local(),
        connection.entry(),
        clock.instant());
  }

  /**
   * What goes in front of a trusted relay's message, given the message's first header field: the
   * {@code X-Mxtrap-Suspect} field when the client the relay named (XCLIENT, else that first field
   * if it is the relay's Received) would have been refused; nothing otherwise.
   */
  private byte[] suspectMark(String firstField) {
    Named n = named;
    InetAddress judged;
    Decision d;
    if (n != null) {
      judged = client.remote().getAddress();
      d = n.decision();
    } else {
      Optional<InetAddress> fromHeader = ReceivedField.client(firstField);
      if (fromHeader.isEmpty()) {
        log.info("no client named by trusted relay {}: judged as itself", clientText());
        return new byte[0];
      }
      judged = fromHeader.get();
      d = admission.relayed(relayedContact(judged));
      log.info(
          "received: client=[{}] via {} (its Received field): verdict={} action={}",
          Addresses.text(judged),
          clientText(),
          d.verdict().label(),
          d.action().label());
    }
    if (d.serves()) {
      return new byte[0];
    }
    String field =
        "X-Mxtrap-Suspect: "
            + d.verdict().label()
            + " (client "
            + Addresses.smtpLiteral(judged)
            + " via "
            + Addresses.smtpLiteral(connection.remote().getAddress())
            + ", would have been answered "
            + d.action().label()
            + ")\r\n";
    return field.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * STARTTLS (RFC 3207): answer 220, hand the connection to TLS, forget everything read before
   * (CVE-2011-0411) and start again un-greeted.
   */
  private SessionState startTls() throws IOException {
    if (transport.tlsDescription() != null) {
      return refuse("STARTTLS", Replies.TLS_ALREADY_ACTIVE, state);
    }
    if (!transport.tlsAvailable()) {
      return refuse("STARTTLS", Replies.TLS_NOT_AVAILABLE, state);
    }
    return switch (state) {
      case InTransaction t -> refuse("STARTTLS", Replies.TLS_IN_TRANSACTION, t);
      case Ended e -> e;
      case Connected c -> handshake();
      case Greeted g -> handshake();
    };
  }

  private SessionState handshake() throws IOException {
    reply(Replies.READY_TO_START_TLS);
    flush();
    input.discardBuffered();
    transport.lineDeadline(settings.commandTimeout()); // the handshake's own deadline
    try {
      transport.startTls();
    } catch (IOException e) { // timeouts too: half a handshake leaves no channel for a 421
      log.info("TLS handshake failed with {}: {}", clientText(), e.toString());
      pendingReplies.reset(); // nothing can be said in plaintext any more
      return new Ended();
    }
    input.restartOn(transport.in());
    return new Connected();
  }

  /** The RFC 3848 "with" keyword for the Received header. */
  private String protocol(Hello hello, boolean smtpUtf8) {
    boolean tls = transport.tlsDescription() != null;
    if (!hello.extended()) {
      return "SMTP";
    }
    if (smtpUtf8) {
      return tls ? "UTF8SMTPS" : "UTF8SMTP";
    }
    return tls ? "ESMTPS" : "ESMTP";
  }

  /**
   * Sends a refusal, logs it and counts it; after {@code maxErrors} refusals the session ends with
   * 421 4.7.0.
   *
   * @param stay the state to keep if the session goes on
   */
  private SessionState refuse(String verb, SmtpReply reply, SessionState stay) {
    reply(reply);
    logReject(verb, reply);
    errors++;
    if (errors >= settings.maxErrors()) {
      SmtpReply closing = Replies.tooManyErrors(settings.hostname());
      reply(closing);
      log.info("too many errors after {} from {}: {}", verb, clientText(), closing.firstLine());
      return new Ended();
    }
    return stay;
  }

  private void logReject(String verb, SmtpReply reply) {
    log.info("reject: {} from {}: {}", verb, clientText(), reply.firstLine());
  }

  private String lastStage() {
    return switch (state) {
      case Connected c -> "CONNECT";
      case Greeted g -> g.hello().extended() ? "EHLO" : "HELO";
      case InTransaction t -> t.transaction().recipients().isEmpty() ? "MAIL" : "RCPT";
      case Ended e -> "END";
    };
  }

  /** {@code [192.0.2.7]:53122} or {@code [2001:db8::7]:53122}. */
  private String clientText() {
    InetSocketAddress remote = client.remote();
    return "[" + Addresses.text(remote.getAddress()) + "]:" + remote.getPort();
  }

  private void reply(SmtpReply reply) {
    pendingReplies.writeBytes(reply.toBytes());
  }

  private void flush() throws IOException {
    if (pendingReplies.size() == 0) {
      return;
    }
    OutputStream out = transport.out();
    pendingReplies.writeTo(out);
    pendingReplies.reset();
    out.flush();
  }
}
