package org.mxtrap.postfix;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.util.Objects.requireNonNull;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The load generator of {@code bench/policy.sh}: Postfix-like policy requests to several policy
 * servers (mxtrap and postgrey), the same bytes to each, at 1, 20 and 100 connections; a program,
 * not a test. The script starts the servers and stops them; this only connects to them.
 *
 * <p>Usage: {@code PolicyBench SERVERS PRIMARY TRAP SUPPRESSIONS SECONDS MAX WARMUP_SECONDS}:
 * SERVERS is {@code name=host:port:pid,...} (the pid for the server's CPU time per request);
 * PRIMARY and TRAP are the layout entries' {@code host:port}, sent as {@code server_address} and
 * {@code server_port}; SUPPRESSIONS is how many hosts from 11.0.0.0 up the store holds ({@code
 * org.mxtrap.state.PolicyBenchSuppressions}). Each step runs until SECONDS have passed or MAX
 * requests were answered, whichever comes first; a warm-up at 20 connections (up to twice MAX
 * requests, WARMUP_SECONDS) precedes them for each server.
 *
 * <p>As Postfix does: a connection has one request outstanding and stays open from step start to
 * end (opened before the clock starts); an SMTP session is 1 or 2 requests with one {@code
 * instance}, on one connection. One thread and a Selector drive all connections of a step
 * (non-blocking sockets, so that the generator takes little of the cores it shares with the
 * servers); requests are built before a step, so the generator only writes, reads and takes the
 * time.
 *
 * <p>The mix, per ten sessions: one suppressed client at the primary; six new clients at the
 * primary, three of them with two recipients (two requests); three at the trap, each a client that
 * had its own primary session {@link #LAG} blocks of ten before in the same phase (a legitimate
 * fallback; in a phase's first {@link #LAG} blocks these three are new clients at the primary
 * instead). So 13 requests per ten sessions, each session a new Postfix {@code instance}, and every
 * phase's clients new.
 */
final class PolicyBench {
  private static final int[] CONNECTIONS = {1, 20, 100};
  private static final int WARMUP_CONNECTIONS = 20;
  private static final int REQUESTS_PER_BLOCK = 13;

  /**
   * How long a connection may take to open, and a request to be answered, before the step fails.
   */
  private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);

  /**
   * How many blocks of ten sessions before its trap session a client had its primary one. A trap
   * session is sent only once its primary session was answered ({@link Phase#after}): on two busy
   * cores a connection's answer can come later than hundreds of sessions take, and a trap contact
   * before its primary one is a skip.
   */
  private static final int LAG = 20;

  private PolicyBench() {}

  /** A server under test; {@code pid} is its process, for its CPU time. */
  private record Target(String name, InetSocketAddress address, long pid) {}

  /**
   * One step's requests: {@code sessions[s]} holds session {@code s}'s requests, whose answers'
   * latencies go to {@code firstRequest[s]}, {@code firstRequest[s] + 1}; session {@code s} is sent
   * only after session {@code after[s]} was answered (none: -1).
   */
  private record Phase(byte[][][] sessions, int[] firstRequest, int[] after) {}

  private record Result(
      String server,
      int connections,
      int requests,
      double seconds,
      long[] sortedNanos,
      double generatorCpuMicros,
      double serverCpuMicros,
      Map<String, Long> actions) {}

  public static void main(String[] args) throws Exception {
    List<Target> targets = new ArrayList<>();
    for (String t : args[0].split(",")) {
      String[] nameRest = t.split("=", 2);
      String[] hp = nameRest[1].split(":");
      targets.add(
          new Target(
              nameRest[0],
              new InetSocketAddress(hp[0], Integer.parseInt(hp[1])),
              Long.parseLong(hp[2])));
    }
    Mix mix = new Mix(hostPort(args[1]), hostPort(args[2]), Integer.parseInt(args[3]));
    Duration step = Duration.ofSeconds(Long.parseLong(args[4]));
    int max = Integer.parseInt(args[5]);
    Duration warmup = Duration.ofSeconds(Long.parseLong(args[6]));

    System.out.printf(
        "JVM %s; each step %d s or %,d requests; warm-up %d s or %,d requests at %d connections%n",
        Runtime.version(), step.toSeconds(), max, warmup.toSeconds(), 2 * max, WARMUP_CONNECTIONS);
    int block = 0;
    Phase w = mix.phase(block, 2 * max);
    block += w.sessions().length / 10;
    for (Target t : targets) {
      Result r = run(t, w, WARMUP_CONNECTIONS, warmup);
      System.out.printf(
          "warm-up %s: %,d requests in %.1f s%n", t.name(), r.requests(), r.seconds());
    }
    List<Result> results = new ArrayList<>();
    for (int c : CONNECTIONS) {
      Phase p = mix.phase(block, max);
      block += p.sessions().length / 10;
      for (Target t : targets) {
        Result r = run(t, p, c, step);
        results.add(r);
        System.out.println(line(r));
      }
    }
    System.out.printf(
        "%nconnections  server      requests/s   latency, microseconds: p50     p90     p99   p99.9"
            + "   CPU µs/request: server  generator%n");
    results.forEach(r -> System.out.println(line(r)));
    System.out.println("\nanswers (action word: share of requests, the last step's):");
    for (Result r : results.subList(results.size() - targets.size(), results.size())) {
      long total = r.actions().values().stream().mapToLong(Long::longValue).sum();
      StringBuilder b = new StringBuilder("  " + r.server() + ":");
      r.actions()
          .forEach(
              (a, n) -> b.append(String.format(Locale.ROOT, " %s %.1f%%", a, 100.0 * n / total)));
      System.out.println(b);
    }
  }

  private static String line(Result r) {
    return String.format(
        Locale.ROOT,
        "%11d  %-10s %11.0f %30.0f %7.0f %7.0f %7.0f %22.1f %10.1f",
        r.connections(),
        r.server(),
        r.requests() / r.seconds(),
        micros(r, 0.50),
        micros(r, 0.90),
        micros(r, 0.99),
        micros(r, 0.999),
        r.serverCpuMicros(),
        r.generatorCpuMicros());
  }

  private static double micros(Result r, double q) {
    long[] s = r.sortedNanos();
    return s.length == 0 ? Double.NaN : s[(int) Math.min(s.length - 1, q * s.length)] / 1e3;
  }

  /**
   * Runs {@code p} against {@code t} on {@code connections} connections until {@code limit} has
   * passed or every session was sent, all of them driven by this thread. Fails on the first
   * connection error or unanswered request.
   */
  private static Result run(Target t, Phase p, int connections, Duration limit) throws IOException {
    List<SocketChannel> channels = new ArrayList<>();
    try (Selector selector = Selector.open()) {
      List<Connection> open = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        SocketChannel ch = SocketChannel.open();
        channels.add(ch);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.socket().connect(t.address(), (int) ANSWER_TIMEOUT.toMillis());
        ch.configureBlocking(false);
        open.add(new Connection(ch, ch.register(selector, 0)));
      }
      Step step = new Step(p, selector, open);
      ProcessHandle server = ProcessHandle.of(t.pid()).orElseThrow();
      long serverCpu0 = cpuNanos(server);
      long cpu0 = generatorCpuNanos();
      long start = System.nanoTime();
      try {
        step.drive(start + limit.toNanos());
      } catch (IOException e) {
        throw new IOException(t.name() + " at " + connections + " connections: " + e, e);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      int requests = p.firstRequest()[step.claimed()];
      long[] sorted = Arrays.copyOf(step.nanos(), requests);
      Arrays.sort(sorted);
      return new Result(
          t.name(),
          connections,
          requests,
          seconds,
          sorted,
          (generatorCpuNanos() - cpu0) / 1e3 / requests,
          (cpuNanos(server) - serverCpu0) / 1e3 / requests,
          step.actions());
    } finally {
      for (SocketChannel ch : channels) {
        ch.close();
      }
    }
  }

  /**
   * One connection of a step: the session it is sending, if any, and the request of it on the wire.
   * It has one request outstanding at most ({@code awaiting}), as a Postfix smtpd has.
   */
  private static final class Connection {
    final SocketChannel channel;
    final SelectionKey key;
    final ByteBuffer answer = ByteBuffer.allocate(8192);
    ByteBuffer request = ByteBuffer.allocate(0);

    /** The session this connection claimed (sending or parked), or -1. */
    int session = -1;

    /** Which of its session's requests is on the wire. */
    int index;

    /** Whether a request was written, or is being written, and its answer is not complete. */
    boolean awaiting;

    /** {@link System#nanoTime} just before the request's first write. */
    long sentAt;

    Connection(SocketChannel channel, SelectionKey key) {
      this.channel = channel;
      this.key = key;
      key.attach(this);
    }
  }

  /**
   * One step's load, driven by one thread through a {@link Selector}: a connection claims the
   * phase's sessions in order and sends each session's requests one at a time, the next written
   * when the one before was answered. A session whose {@link Phase#after} session is not answered
   * yet is parked with its connection until a session's answer frees it; a connection that finds
   * the deadline passed, or no session left, stays idle to the end. A claimed session is always
   * finished, after the deadline too, so every request counted was answered. Not thread-safe.
   */
  private static final class Step {
    private final Phase p;
    private final Selector selector;
    private final List<Connection> connections;
    private final long[] nanos;
    private final boolean[] answered;
    private final ArrayDeque<Connection> parked = new ArrayDeque<>();
    private final Map<String, Long> actions = new TreeMap<>();

    /** No session is claimed from this {@link System#nanoTime} on. */
    private long deadline;

    /** The next session to claim. */
    private int next;

    /** Connections holding a session, sending or parked: the step ends when none does. */
    private int busy;

    Step(Phase p, Selector selector, List<Connection> connections) {
      this.p = p;
      this.selector = selector;
      this.connections = connections;
      this.nanos = new long[p.firstRequest()[p.sessions().length]];
      this.answered = new boolean[p.sessions().length];
    }

    /** How many sessions were claimed, and so answered, once {@link #drive} has returned. */
    int claimed() {
      return next;
    }

    /** Each answered request's latency, by its number in the phase. */
    long[] nanos() {
      return nanos;
    }

    /** How many answers began with each action word. */
    Map<String, Long> actions() {
      return actions;
    }

    /**
     * Runs the step to its end, claiming sessions until {@code deadline}. Throws on a closed
     * connection, an answer that is not one, or a request not answered within {@link
     * #ANSWER_TIMEOUT} (looked at about once a second).
     */
    void drive(long deadline) throws IOException {
      this.deadline = deadline;
      for (Connection c : connections) {
        claim(c);
      }
      long looked = System.nanoTime();
      while (busy > 0) {
        selector.select(1000);
        Iterator<SelectionKey> ready = selector.selectedKeys().iterator();
        while (ready.hasNext()) {
          SelectionKey k = ready.next();
          ready.remove();
          Connection c = (Connection) requireNonNull(k.attachment());
          if (k.isWritable()) {
            write(c);
          } else if (k.isReadable()) {
            read(c);
          }
        }
        long now = System.nanoTime();
        if (now - looked >= 1_000_000_000L) {
          looked = now;
          for (Connection c : connections) {
            if (c.awaiting && now - c.sentAt > ANSWER_TIMEOUT.toNanos()) {
              throw new IOException(
                  "no answer within " + ANSWER_TIMEOUT.toSeconds() + " s to session " + c.session);
            }
          }
        }
      }
    }

    /** Gives {@code c} the next session and sends or parks it, unless the step is over. */
    private void claim(Connection c) throws IOException {
      if (next == p.sessions().length || System.nanoTime() - deadline >= 0) {
        c.session = -1;
        c.key.interestOps(0);
        return;
      }
      c.session = next++;
      c.index = 0;
      busy++;
      int after = p.after()[c.session];
      if (after >= 0 && !answered[after]) {
        parked.add(c);
      } else {
        send(c);
      }
    }

    /** Sends the sessions that were parked for a session answered since. */
    private void unpark() throws IOException {
      Iterator<Connection> it = parked.iterator();
      while (it.hasNext()) {
        Connection c = it.next();
        if (answered[p.after()[c.session]]) {
          it.remove();
          send(c);
        }
      }
    }

    private void send(Connection c) throws IOException {
      c.request = ByteBuffer.wrap(p.sessions()[c.session][c.index]);
      c.awaiting = true;
      c.sentAt = System.nanoTime();
      write(c);
    }

    /** Writes what the socket takes; waits to write the rest only when some is left. */
    private void write(Connection c) throws IOException {
      c.channel.write(c.request);
      c.key.interestOps(c.request.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    /**
     * Reads what has come; an answer is complete at its empty line. Then the session's next request
     * is sent, or the session is done and its connection claims another.
     */
    private void read(Connection c) throws IOException {
      ByteBuffer in = c.answer;
      int got = c.channel.read(in);
      int n = in.position();
      if (got < 0) {
        throw new IOException("closed after " + new String(in.array(), 0, n, US_ASCII));
      }
      if (!c.awaiting) {
        throw new IOException("unasked for: " + new String(in.array(), 0, n, US_ASCII));
      }
      if (n < 2 || in.get(n - 1) != '\n' || in.get(n - 2) != '\n') {
        if (!in.hasRemaining()) {
          throw new IOException("an answer longer than " + in.capacity() + " octets");
        }
        return; // the rest is yet to come
      }
      nanos[p.firstRequest()[c.session] + c.index] = System.nanoTime() - c.sentAt;
      c.awaiting = false;
      actions.merge(actionWord(in.array(), n), 1L, Long::sum);
      in.clear();
      if (++c.index < p.sessions()[c.session].length) {
        send(c);
        return;
      }
      answered[c.session] = true;
      busy--;
      if (!parked.isEmpty()) {
        unpark();
      }
      claim(c);
    }
  }

  /**
   * {@code action=DUNNO\n\n} gives {@code DUNNO}; {@code action=REJECT 5.7.1 ...}, {@code REJECT}.
   */
  private static String actionWord(byte[] buf, int n) throws IOException {
    String a = new String(buf, 0, n, US_ASCII);
    if (!a.startsWith("action=")) {
      throw new IOException("not an action: " + a);
    }
    int end = 7;
    while (end < n && buf[end] != ' ' && buf[end] != '\n') {
      end++;
    }
    return a.substring(7, end);
  }

  private static long cpuNanos(ProcessHandle p) {
    return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  private static long generatorCpuNanos() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static String[] hostPort(String s) {
    return s.split(":");
  }

  /** The request mix; see the class comment. */
  private record Mix(String[] primary, String[] trap, int suppressions) {

    /** The sessions of blocks {@code from} on, {@code max} requests at most (whole blocks). */
    Phase phase(int from, int max) {
      int blocks = Math.max(1, max / REQUESTS_PER_BLOCK);
      byte[][][] sessions = new byte[blocks * 10][][];
      int[] first = new int[sessions.length + 1];
      int[] after = new int[sessions.length];
      for (int b = 0; b < blocks; b++) {
        for (int slot = 0; slot < 10; slot++) {
          int s = b * 10 + slot;
          sessions[s] = session(from + b, slot, b < LAG);
          first[s + 1] = first[s] + sessions[s].length;
          after[s] = slot >= 7 && b >= LAG ? (b - LAG) * 10 + slot - 6 : -1;
        }
      }
      return new Phase(sessions, first, after);
    }

    /**
     * Session {@code slot} (0..9) of block {@code b}, counted over the whole run; in a {@code
     * leadIn} block slots 7..9 are new clients at the primary too.
     */
    private byte[][] session(int b, int slot, boolean leadIn) {
      long session = 10L * b + slot;
      if (slot == 0) {
        String client = v4(0x0B00_0000L + (b * 7919L) % suppressions);
        return new byte[][] {request(session, client, "unknown", primary, 0)};
      }
      if (slot <= 6 || leadIn) {
        String client = newClient(9L * b + slot - 1);
        byte[] one = request(session, client, name(client), primary, 0);
        return slot <= 3
            ? new byte[][] {one, request(session, client, name(client), primary, 1)}
            : new byte[][] {one};
      }
      // Slots 7..9: the clients of slots 1..3 of the block LAG before, now at the trap.
      String client = newClient(9L * (b - LAG) + slot - 7);
      return new byte[][] {request(session, client, name(client), trap, 0)};
    }

    /**
     * One request at RCPT time, every attribute Postfix 3.7 sends (SMTPD_POLICY_README), no TLS or
     * SASL; {@code rcpt} is how many recipients the session accepted before.
     */
    private static byte[] request(
        long session, String client, String clientName, String[] entry, int rcpt) {
      // Postfix's instance is "%x.%lx.%lx.%x": pid, seconds, microseconds, sequence.
      String instance =
          String.format(
              Locale.ROOT,
              "%x.%x.%x.0",
              4000 + session % 997,
              1_765_000_000 + session / 1_000_000,
              session % 1_000_000);
      return ("request=smtpd_access_policy\n"
              + "protocol_state=RCPT\n"
              + "protocol_name=ESMTP\n"
              + "helo_name="
              + (clientName.equals("unknown") ? "[" + client + "]" : clientName)
              + "\nqueue_id=\n"
              + "sender=s"
              + session
              + "@sender.example.net\n"
              + "recipient="
              + (rcpt == 0 ? "bob" : "alice")
              + "@example.test\n"
              + "recipient_count="
              + rcpt
              + "\nclient_address="
              + client
              + "\nclient_name="
              + clientName
              + "\nreverse_client_name="
              + clientName
              + "\ninstance="
              + instance
              + "\nsasl_method=\nsasl_username=\nsasl_sender=\nsize=0\n"
              + "ccert_subject=\nccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\n"
              + "encryption_protocol=\nencryption_cipher=\nencryption_keysize=0\n"
              + "etrn_domain=\nstress=\nclient_port="
              + (1024 + session % 60_000)
              + "\npolicy_context=\nserver_address="
              + entry[0]
              + "\nserver_port="
              + entry[1]
              + "\ncompatibility_level=3.6\nmail_version=3.7.11\n\n")
          .getBytes(US_ASCII);
    }

    /**
     * The {@code k}th new client: an address in 20.0.0.0/8, spread over its /24 networks (an odd
     * multiplier is a bijection modulo 2^24), so that contacts are not all in a few networks.
     */
    private static String newClient(long k) {
      return v4(0x1400_0000L | ((k * 0x9E37_79B1L) & 0xFF_FFFFL));
    }

    private static String name(String client) {
      return "host-" + client.replace('.', '-') + ".dsl.example.net";
    }

    private static String v4(long a) {
      return (a >>> 24 & 255) + "." + (a >>> 16 & 255) + "." + (a >>> 8 & 255) + "." + (a & 255);
    }
  }
}
