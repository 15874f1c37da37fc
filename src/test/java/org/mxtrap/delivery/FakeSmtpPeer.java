package org.mxtrap.delivery;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;
import org.mxtrap.smtp.server.TlsContexts;
import org.mxtrap.smtp.wire.DataReader;
import org.mxtrap.smtp.wire.InputLine;
import org.mxtrap.smtp.wire.LineReader;

/**
 * A scripted SMTP or LMTP server on 127.0.0.1 (or another loopback address), port 0, for the
 * client's tests: it answers every command with a fixed or configured reply and misbehaves as told
 * ({@link Misbehaviour}, in the spirit of OkHttp's {@code SocketPolicy}). It records the commands
 * and messages it got.
 *
 * <p>With PIPELINING offered it holds its replies to MAIL and RCPT until DATA arrives, as RFC 2920
 * allows: a client that waits for each reply never gets one and times out. Without it, it notes a
 * command that arrives while an earlier one is unanswered. Configure before {@link #start()}; read
 * the records after {@link #close()}, which ends every connection and waits for its thread.
 */
final class FakeSmtpPeer implements AutoCloseable {
  static {
    // As Main does, before the first server-side handshake in this JVM, which may be ours: JSSE
    // reads the switch once, and TlsContextsTest relies on it being on.
    TlsContexts.refuseClientInitiatedRenegotiation();
  }

  /** How the peer deviates from a well-behaved server. */
  enum Misbehaviour {
    NONE,
    /** Greets with 421 and closes. */
    GREETING_421,
    /** Greets with 554, refusing service (RFC 5321 3.1), and closes. */
    GREETING_554,
    /** Accepts the connection and never greets. */
    HANG_AT_GREETING,
    /** Reads the whole message and never answers its end. */
    HANG_AFTER_DATA,
    /** Answers DATA with 354 and closes the connection without reading the content. */
    DISCONNECT_MID_DATA,
    /** Answers 5xx to EHLO, as a server that knows only HELO. */
    REFUSE_EHLO,
    /** Offers STARTTLS, answers 220, then sends plaintext instead of a TLS handshake. */
    BROKEN_TLS_HANDSHAKE,
    /** Answers the end of data, then closes the connection without a word (an idle timeout). */
    CLOSE_AFTER_MESSAGE,
    /** Answers the end of data, then says 421 and closes, as Postfix's smtpd at its timeout. */
    GOODBYE_AFTER_MESSAGE
  }

  private final boolean lmtp;
  private final List<String> extensions = new ArrayList<>();
  private final Map<String, String> rcptReplies = new HashMap<>();
  private final Map<String, String> dataReplies = new HashMap<>();
  private volatile Misbehaviour misbehaviour = Misbehaviour.NONE;
  private String xclientReply = "220 fake.test ESMTP";
  private @Nullable SSLContext tls;

  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final List<String> commands = new CopyOnWriteArrayList<>();
  private final List<String> messages = new CopyOnWriteArrayList<>();
  private volatile boolean pipelinedWithoutOffer;
  private @Nullable Thread accepter;

  FakeSmtpPeer(boolean lmtp) throws IOException {
    this(lmtp, InetAddress.getLoopbackAddress());
  }

  /** A peer on {@code bind}, port 0: another 127.0.0.x stands for another MX host. */
  FakeSmtpPeer(boolean lmtp, InetAddress bind) throws IOException {
    this.lmtp = lmtp;
    this.server = new ServerSocket(0, 50, bind);
  }

  /** Announces {@code keyword} (with parameters, as {@code SIZE 1000}) in the EHLO reply. */
  FakeSmtpPeer offer(String keyword) {
    extensions.add(keyword);
    return this;
  }

  /** Offers STARTTLS, and makes the handshake with {@code context}. */
  FakeSmtpPeer tls(SSLContext context) {
    this.tls = context;
    return offer("STARTTLS");
  }

  /** The reply to XCLIENT (default: the 220 that starts the session again). */
  FakeSmtpPeer xclientReply(String reply) {
    this.xclientReply = reply;
    return this;
  }

  FakeSmtpPeer misbehave(Misbehaviour m) {
    this.misbehaviour = m;
    return this;
  }

  /** The reply to RCPT of the mailbox with this local part (default {@code 250 2.1.5 Ok}). */
  FakeSmtpPeer rcptReply(String localPart, String reply) {
    rcptReplies.put(localPart, reply);
    return this;
  }

  /** LMTP: the reply for this local part after the end of data (default {@code 250 2.0.0}). */
  FakeSmtpPeer dataReply(String localPart, String reply) {
    dataReplies.put(localPart, reply);
    return this;
  }

  FakeSmtpPeer start() {
    accepter =
        Thread.ofVirtual()
            .start(
                () -> {
                  while (true) {
                    Socket s;
                    try {
                      s = server.accept();
                    } catch (IOException closed) {
                      return;
                    }
                    sockets.add(s);
                    threads.add(Thread.ofVirtual().start(() -> serve(s)));
                  }
                });
    return this;
  }

  InetSocketAddress address() {
    return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
  }

  /** Every command line received, on every connection, in order. */
  List<String> commands() {
    return List.copyOf(commands);
  }

  /** The content of every message received whole (dot-unstuffed). */
  List<String> messages() {
    return List.copyOf(messages);
  }

  int connections() {
    return sockets.size();
  }

  /** Without PIPELINING offered: a command arrived before the reply to the one before it. */
  boolean pipelinedWithoutOffer() {
    return pipelinedWithoutOffer;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    server.close();
    if (accepter != null) {
      accepter.join(); // no socket is added after this
    }
    for (Socket s : sockets) {
      s.close();
    }
    for (Thread t : threads) {
      t.join();
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      new Conversation(socket).run();
    } catch (SocketException | EOFException e) {
      // The client went away, or close() ended the connection.
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One connection's script. */
  private final class Conversation {
    private Socket socket;
    private LineReader in;
    private OutputStream out;
    private final StringBuilder held = new StringBuilder();
    private final List<String> accepted = new ArrayList<>();
    // PIPELINING was announced on this connection.
    private boolean pipelining;

    Conversation(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new LineReader(socket.getInputStream());
      this.out = socket.getOutputStream();
    }

    void run() throws IOException {
      switch (misbehaviour) {
        case HANG_AT_GREETING -> {
          drain();
          return;
        }
        case GREETING_421 -> {
          reply("421 4.3.2 fake.test busy");
          return;
        }
        case GREETING_554 -> {
          reply("554 5.7.1 fake.test refuses you");
          return;
        }
        default -> reply("220 fake.test ESMTP");
      }
      while (true) {
        if (!(in.readLine(2048) instanceof InputLine.Complete line)) {
          return;
        }
        String command = new String(line.octets(), StandardCharsets.UTF_8);
        if (!pipelining && in.hasBuffered()) {
          pipelinedWithoutOffer = true;
        }
        commands.add(command);
        String verb = command.split("[ :]", 2)[0].toUpperCase(Locale.ROOT);
        switch (verb) {
          case "EHLO", "LHLO" -> {
            if (misbehaviour == Misbehaviour.REFUSE_EHLO || verb.equals("EHLO") == lmtp) {
              reply("502 5.5.2 say " + (lmtp ? "LHLO" : "HELO"));
            } else {
              StringBuilder b = new StringBuilder("250-fake.test\r\n");
              for (String e : extensions) {
                if (!(e.equals("STARTTLS") && socket instanceof SSLSocket)) {
                  b.append("250-").append(e).append("\r\n");
                }
              }
              reply(b.append("250 ENHANCEDSTATUSCODES").toString());
              pipelining = extensions.contains("PIPELINING");
            }
          }
          case "HELO" -> reply("250 fake.test");
          case "STARTTLS" -> {
            reply("220 2.0.0 go ahead");
            if (misbehaviour == Misbehaviour.BROKEN_TLS_HANDSHAKE || tls == null) {
              reply("this is not TLS");
              return;
            }
            SSLSocket s =
                (SSLSocket)
                    tls.getSocketFactory().createSocket(socket, null, socket.getPort(), true);
            s.setUseClientMode(false);
            s.startHandshake();
            socket = s;
            in = new LineReader(s.getInputStream());
            out = s.getOutputStream();
          }
          case "MAIL" -> {
            accepted.clear();
            hold("250 2.1.0 Ok");
          }
          case "RCPT" -> {
            String localPart = command.substring(command.indexOf('<') + 1, command.indexOf('@'));
            String r = rcptReplies.getOrDefault(localPart, "250 2.1.5 Ok");
            if (r.startsWith("2")) {
              accepted.add(localPart);
            }
            hold(r);
          }
          case "DATA" -> {
            if (accepted.isEmpty()) {
              reply("554 5.5.1 no valid recipients");
              continue;
            }
            reply("354 go ahead");
            if (misbehaviour == Misbehaviour.DISCONNECT_MID_DATA) {
              return;
            }
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            if (!DataReader.read(in, content, Long.MAX_VALUE).isComplete()) {
              return;
            }
            messages.add(content.toString(StandardCharsets.UTF_8));
            if (misbehaviour == Misbehaviour.HANG_AFTER_DATA) {
              drain();
              return;
            }
            if (lmtp) {
              for (String rcpt : accepted) {
                hold(dataReplies.getOrDefault(rcpt, "250 2.0.0 <" + rcpt + "> delivered"));
              }
              reply(null);
            } else {
              reply("250 2.0.0 Ok: queued");
            }
            accepted.clear();
            if (misbehaviour == Misbehaviour.GOODBYE_AFTER_MESSAGE) {
              reply("421 4.4.2 fake.test idle for too long");
            }
            if (misbehaviour == Misbehaviour.CLOSE_AFTER_MESSAGE
                || misbehaviour == Misbehaviour.GOODBYE_AFTER_MESSAGE) {
              return;
            }
          }
          case "XCLIENT" -> reply(xclientReply);
          case "RSET" -> {
            accepted.clear();
            reply("250 2.0.0 Ok");
          }
          case "QUIT" -> {
            reply("221 2.0.0 Bye");
            return;
          }
          default -> reply("502 5.5.2 unknown command");
        }
      }
    }

    /** A reply held back while a pipelined group may still be coming, else sent. */
    private void hold(String reply) throws IOException {
      held.append(reply).append("\r\n");
      if (!pipelining) {
        reply(null);
      }
    }

    /** Sends what is held, then {@code reply} when there is one. */
    private void reply(@Nullable String reply) throws IOException {
      if (reply != null) {
        held.append(reply).append("\r\n");
      }
      out.write(held.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      held.setLength(0);
    }

    /** Reads until the client closes the connection. */
    private void drain() throws IOException {
      InputStream raw = socket.getInputStream();
      while (raw.read(new byte[512]) >= 0) {
        // Nothing to answer.
      }
    }
  }
}
