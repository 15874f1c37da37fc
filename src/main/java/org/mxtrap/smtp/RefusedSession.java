package org.mxtrap.smtp;

import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.mxtrap.smtp.wire.InputLine;
import org.mxtrap.smtp.wire.LineReader;
import org.mxtrap.smtp.wire.SmtpReply;

/**
 * The conversation after a 554 greeting (RFC 5321 3.1): the server "MUST wait for the client to
 * send a QUIT command before closing the connection" and answers every other command 503. Ends at
 * QUIT (221), at the end of input, at a read timeout, or after {@code maxErrors} other commands
 * (421). Not thread-safe.
 */
public final class RefusedSession {
  private final Transport transport;
  private final String hostname;
  private final int maxErrors;
  private final Duration commandTimeout;

  /**
   * @param commandTimeout the deadline for each whole command line
   */
  public RefusedSession(
      Transport transport, String hostname, int maxErrors, Duration commandTimeout) {
    this.transport = transport;
    this.hostname = hostname;
    this.maxErrors = maxErrors;
    this.commandTimeout = commandTimeout;
  }

  /** Sends {@code greeting} (a 554) and runs the conversation to its end. */
  public void run(SmtpReply greeting) throws IOException {
    send(greeting);
    LineReader input = new LineReader(transport.in());
    int errors = 0;
    try {
      while (true) {
        transport.lineDeadline(commandTimeout);
        InputLine line = input.readLine(LineReader.MAX_COMMAND_LINE);
        switch (line) {
          case InputLine.End end -> {
            return;
          }
          case InputLine.Complete c when isQuit(c.octets()) -> {
            send(Replies.BYE);
            return;
          }
          default -> {
            if (++errors >= maxErrors) {
              send(Replies.tooManyErrors(hostname));
              return;
            }
            send(Replies.NO_SERVICE_ONLY_QUIT);
          }
        }
      }
    } catch (SocketTimeoutException e) {
      send(Replies.timeout(hostname));
    }
  }

  private static boolean isQuit(byte[] line) {
    return new String(line, StandardCharsets.US_ASCII).strip().equalsIgnoreCase("QUIT");
  }

  private void send(SmtpReply reply) throws IOException {
    OutputStream out = transport.out();
    out.write(reply.toBytes());
    out.flush();
  }
}
