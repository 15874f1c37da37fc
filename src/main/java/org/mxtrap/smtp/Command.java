package org.mxtrap.smtp;

import java.net.InetAddress;
import org.jspecify.annotations.Nullable;
import org.mxtrap.smtp.wire.SmtpReply;

/** One parsed command line (RFC 5321 4.1.1), or the reply that refuses it. */
sealed interface Command {

  /** The verb as we log it: {@code MAIL}, {@code RCPT}, ... */
  String verb();

  record Helo(String domain) implements Command {
    @Override
    public String verb() {
      return "HELO";
    }
  }

  record Ehlo(String domain) implements Command {
    @Override
    public String verb() {
      return "EHLO";
    }
  }

  /** MAIL FROM; {@code reversePath} is null for the null path {@code <>}. */
  record Mail(@Nullable Path reversePath, MailParameters parameters) implements Command {
    @Override
    public String verb() {
      return "MAIL";
    }
  }

  record Rcpt(Path forwardPath) implements Command {
    @Override
    public String verb() {
      return "RCPT";
    }
  }

  record Data() implements Command {
    @Override
    public String verb() {
      return "DATA";
    }
  }

  record Rset() implements Command {
    @Override
    public String verb() {
      return "RSET";
    }
  }

  record Noop() implements Command {
    @Override
    public String verb() {
      return "NOOP";
    }
  }

  record Quit() implements Command {
    @Override
    public String verb() {
      return "QUIT";
    }
  }

  record Vrfy() implements Command {
    @Override
    public String verb() {
      return "VRFY";
    }
  }

  /**
   * XCLIENT (Postfix's XCLIENT_README): a relay names the client it is relaying for. An attribute
   * not given, or given as {@code [UNAVAILABLE]} or {@code [TEMPUNAVAIL]}, is null (the port: 0).
   *
   * @param addr ADDR, the client's address
   * @param port PORT, the client's port
   * @param name NAME, the client's verified reverse name, lower case
   * @param helo HELO, the client's HELO/EHLO argument
   * @param proto PROTO: {@code SMTP} or {@code ESMTP}
   */
  record Xclient(
      @Nullable InetAddress addr,
      int port,
      @Nullable String name,
      @Nullable String helo,
      @Nullable String proto)
      implements Command {
    @Override
    public String verb() {
      return "XCLIENT";
    }
  }

  record Help() implements Command {
    @Override
    public String verb() {
      return "HELP";
    }
  }

  record StartTls() implements Command {
    @Override
    public String verb() {
      return "STARTTLS";
    }
  }

  /**
   * A line we refuse before looking at the session state: unknown verb, bad syntax, bad octets.
   *
   * @param verb the verb if it was one we know, else {@code unknown}
   * @param reply the 5xx to send
   */
  record Invalid(String verb, SmtpReply reply) implements Command {}
}
