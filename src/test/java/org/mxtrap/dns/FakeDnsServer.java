package org.mxtrap.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * A scripted DNS server on a free loopback port, UDP and TCP on the same port number, for testing
 * {@link StubResolver} against real sockets. Each query is answered by the {@link Script}; a null
 * reply is silence (the client times out). Every query is recorded with its transport. Serves on
 * two virtual threads until closed.
 */
final class FakeDnsServer implements AutoCloseable {

  /** What to answer. */
  interface Script {
    /**
     * @param query the query as received
     * @param tcp whether it came over TCP
     * @return the reply (its ID and question are set from the query), or null for no reply
     */
    @Nullable Message answer(Message query, boolean tcp);
  }

  /** One query received: {@code "udp A host.example.test."}. */
  final List<String> received = new CopyOnWriteArrayList<>();

  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final Script script;
  private final Thread udpThread;
  private final Thread tcpThread;
  private final List<Socket> connections = new CopyOnWriteArrayList<>();

  FakeDnsServer(Script script) throws IOException {
    this.script = script;
    DatagramSocket u = null;
    ServerSocket t = null;
    for (int attempt = 0; t == null; attempt++) {
      u = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      try {
        t = new ServerSocket(u.getLocalPort(), 16, InetAddress.getLoopbackAddress());
      } catch (BindException taken) {
        u.close(); // the TCP port of that number is busy: try another number
        if (attempt == 20) {
          throw taken;
        }
      }
    }
    this.udp = u;
    this.tcp = t;
    this.udpThread = Thread.ofVirtual().start(this::serveUdp);
    this.tcpThread = Thread.ofVirtual().start(this::serveTcp);
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), udp.getLocalPort());
  }

  /** A reply to {@code query} with {@code rcode}, records added by the caller. */
  static Message reply(Message query, int rcode) {
    Message m = new Message(query.getHeader().getID());
    m.getHeader().setFlag(Flags.QR);
    m.getHeader().setFlag(Flags.RD);
    m.getHeader().setFlag(Flags.RA);
    m.getHeader().setRcode(rcode);
    m.addRecord(query.getQuestion(), Section.QUESTION);
    return m;
  }

  /** {@code reply} with {@code records} in the answer section. */
  static Message withAnswers(Message reply, List<Record> records) {
    for (Record r : records) {
      reply.addRecord(r, Section.ANSWER);
    }
    return reply;
  }

  private void serveUdp() {
    byte[] buf = new byte[65535];
    while (!udp.isClosed()) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        udp.receive(p);
        Message query = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
        received.add("udp " + describe(query));
        Message reply = script.answer(query, false);
        if (reply != null) {
          byte[] out = reply.toWire();
          udp.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
        }
      } catch (IOException e) {
        if (!udp.isClosed()) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }

  private void serveTcp() {
    while (!tcp.isClosed()) {
      try {
        Socket s = tcp.accept();
        connections.add(s);
        Thread.ofVirtual().start(() -> serveConnection(s));
      } catch (IOException e) {
        if (!tcp.isClosed()) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }

  /** Queries on one TCP connection, each with its two-octet length (RFC 1035 4.2.2), until EOF. */
  private void serveConnection(Socket s) {
    try (s) {
      DataInputStream in = new DataInputStream(s.getInputStream());
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      while (true) {
        Message query = new Message(in.readNBytes(in.readUnsignedShort()));
        received.add("tcp " + describe(query));
        Message reply = script.answer(query, true);
        if (reply != null) {
          byte[] wire = reply.toWire();
          out.writeShort(wire.length);
          out.write(wire);
          out.flush();
        }
      }
    } catch (IOException endOfConnection) {
      // the client closed it, or we did
    }
  }

  private static String describe(Message query) {
    Record q = query.getQuestion();
    return org.xbill.DNS.Type.string(q.getType()) + " " + q.getName();
  }

  @Override
  public void close() throws IOException {
    udp.close();
    tcp.close();
    for (Socket s : connections) {
      s.close();
    }
    try {
      udpThread.join();
      tcpThread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
