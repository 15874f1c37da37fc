package org.mxtrap.postfix;

import static java.nio.charset.StandardCharsets.US_ASCII;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

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
 * instance}, on one connection. Connections are platform threads with blocking sockets; requests
 * are built before a step, so the generator only writes, reads and takes the time.
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
   * How many blocks of ten sessions before its trap session a client had its primary one. A trap
   * session is sent only once its primary session was answered ({@link Phase#after}): on two busy
   * cores a connection's thread can stall longer than hundreds of sessions take, and a trap contact
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
   * passed or every session was sent. Fails on the first connection error or unanswered request.
   */
  private static Result run(Target t, Phase p, int connections, Duration limit) throws Exception {
    long[] nanos = new long[p.firstRequest()[p.sessions().length]];
    AtomicInteger next = new AtomicInteger();
    AtomicIntegerArray done = new AtomicIntegerArray(p.sessions().length);
    AtomicReference<@Nullable Exception> failed = new AtomicReference<>();
    Map<String, Long> actions = new ConcurrentHashMap<>();
    CountDownLatch go = new CountDownLatch(1);
    List<Socket> sockets = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    try {
      for (int i = 0; i < connections; i++) {
        Socket s = new Socket();
        sockets.add(s);
        s.setTcpNoDelay(true);
        s.connect(t.address(), 10_000);
        s.setSoTimeout(10_000);
      }
      long[] deadline = new long[1];
      for (Socket s : sockets) {
        threads.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      try {
                        go.await();
                        serve(s, p, next, done, failed, deadline[0], nanos, actions);
                      } catch (Exception e) {
                        failed.compareAndSet(null, e);
                      }
                    }));
      }
      ProcessHandle server = ProcessHandle.of(t.pid()).orElseThrow();
      long serverCpu0 = cpuNanos(server);
      long cpu0 = generatorCpuNanos();
      long start = System.nanoTime();
      deadline[0] = start + limit.toNanos();
      go.countDown();
      for (Thread th : threads) {
        th.join();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      Exception e = failed.get();
      if (e != null) {
        throw new IOException(t.name() + " at " + connections + " connections: " + e, e);
      }
      int sessions = Math.min(next.get(), p.sessions().length);
      int requests = p.firstRequest()[sessions];
      long[] sorted = Arrays.copyOf(nanos, requests);
      Arrays.sort(sorted);
      return new Result(
          t.name(),
          connections,
          requests,
          seconds,
          sorted,
          (generatorCpuNanos() - cpu0) / 1e3 / requests,
          (cpuNanos(server) - serverCpu0) / 1e3 / requests,
          new TreeMap<>(actions));
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  /**
   * One connection's part: claims the next session until the deadline or the end, sends its
   * requests one at a time and times each answer.
   */
  private static void serve(
      Socket s,
      Phase p,
      AtomicInteger next,
      AtomicIntegerArray done,
      AtomicReference<@Nullable Exception> failed,
      long deadline,
      long[] nanos,
      Map<String, Long> actions)
      throws IOException {
    OutputStream out = s.getOutputStream();
    InputStream in = s.getInputStream();
    byte[] answer = new byte[8192];
    Map<String, Long> mine = new TreeMap<>();
    while (System.nanoTime() - deadline < 0) {
      int session = next.getAndIncrement();
      if (session >= p.sessions().length) {
        break;
      }
      int after = p.after()[session];
      while (after >= 0 && done.get(after) == 0) {
        if (failed.get() != null) {
          return; // the session waited for failed with its connection
        }
        Thread.yield();
      }
      byte[][] requests = p.sessions()[session];
      for (int k = 0; k < requests.length; k++) {
        long t0 = System.nanoTime();
        out.write(requests[k]);
        int n = readAnswer(in, answer);
        nanos[p.firstRequest()[session] + k] = System.nanoTime() - t0;
        mine.merge(actionWord(answer, n), 1L, Long::sum);
      }
      done.set(session, 1);
    }
    mine.forEach((a, n) -> actions.merge(a, n, Long::sum));
  }

  /** Reads one answer, up to and including its empty line; returns its length. */
  private static int readAnswer(InputStream in, byte[] buf) throws IOException {
    int n = 0;
    while (n < 2 || buf[n - 1] != '\n' || buf[n - 2] != '\n') {
      if (n == buf.length) {
        throw new IOException("an answer longer than " + buf.length + " octets");
      }
      int got = in.read(buf, n, buf.length - n);
      if (got < 0) {
        throw new IOException("closed after " + new String(buf, 0, n, US_ASCII));
      }
      n += got;
    }
    return n;
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
