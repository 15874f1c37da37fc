package org.mxtrap.it;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import org.mxtrap.it.LoopbackRedis.Secured;
import org.mxtrap.it.PrivateCa.Issued;
import org.mxtrap.testing.FreePorts;

/**
 * A Redis master, one replica and three Sentinels watching them as {@value #MASTER}, all Debian's
 * redis-server and redis-sentinel on free loopback ports, each in its own directory under the
 * test's (nothing persisted; each Sentinel's config file is there, which it rewrites). The
 * Sentinels take the master as down after 1 s without an answer and agree with a quorum of 2, so a
 * failover completes within a few seconds of {@link #killMaster()}. {@link #start} returns once
 * every Sentinel knows the replica and the two other Sentinels (a failover is possible); {@link
 * #close} stops every process by its PID. {@link #start(Path, Secured, String)} secures them: the
 * servers' password ({@code requirepass}, and {@code masterauth} for replication, which the
 * Sentinels give too: {@code auth-pass}), a password of the Sentinels' own, and TLS only for all.
 */
public final class LoopbackSentinel implements AutoCloseable {
  public static final String MASTER = "mymaster";
  private static final Duration READY = Duration.ofSeconds(30);

  private final Path dir;
  private final List<Instance> all = new ArrayList<>();
  private final Instance master;
  private final Instance replica;
  private final List<Instance> sentinels = new ArrayList<>();
  private final Secured secured;
  private final @Nullable Issued certificate;
  private final @Nullable SSLContext tls;

  private LoopbackSentinel(
      Path dir, Secured secured, @Nullable String sentinelPassword, @Nullable Issued certificate)
      throws IOException {
    this.dir = dir;
    this.secured = secured;
    this.certificate = certificate;
    PrivateCa ca = secured.ca();
    this.tls = ca == null ? null : ca.clientContext();
    this.master = new Instance("master", FreePorts.next(), secured.password());
    this.replica = new Instance("replica", FreePorts.next(), secured.password());
    all.add(master);
    all.add(replica);
    for (int i = 1; i <= 3; i++) {
      Instance s = new Instance("sentinel" + i, FreePorts.next(), sentinelPassword);
      sentinels.add(s);
      all.add(s);
    }
  }

  /** Starts the master, the replica and the Sentinels in {@code dir}, ready for a failover. */
  public static LoopbackSentinel start(Path dir) throws IOException, InterruptedException {
    return start(dir, new Secured(null, null), null);
  }

  /**
   * Starts them secured: {@code servers} for the master and the replica (and TLS, when it names a
   * CA, for the Sentinels too, with the same certificate), {@code sentinelPassword} the Sentinels'
   * own {@code requirepass} (null: none).
   */
  public static LoopbackSentinel start(Path dir, Secured servers, @Nullable String sentinelPassword)
      throws IOException, InterruptedException {
    Path server = Programs.require("redis-server", "redis-server");
    Path sentinel = Programs.require("redis-sentinel", "redis-sentinel");
    PrivateCa ca = servers.ca();
    Issued cert = ca == null ? null : ca.issue("redis", "IP:127.0.0.1", "DNS:localhost");
    LoopbackSentinel s = new LoopbackSentinel(dir, servers, sentinelPassword, cert);
    try {
      s.launch(server, sentinel);
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      s.close();
      throw e;
    }
    return s;
  }

  private void launch(Path server, Path sentinel) throws IOException, InterruptedException {
    master.start(List.of(server.toString()), List.of());
    replica.start(
        List.of(server.toString()),
        List.of("--replicaof", "127.0.0.1", Integer.toString(master.port)));
    // Before the Sentinels start, so that the master's first INFO to them lists the replica.
    await(READY, () -> info(replica).contains("master_link_status:up"), "the replica syncs");
    for (Instance s : sentinels) {
      Files.createDirectories(s.dir());
      Path conf = s.dir().resolve("sentinel.conf");
      List<String> lines = new ArrayList<>(List.of("bind 127.0.0.1", "dir " + s.dir()));
      List<String> options = listening(s.port);
      for (int i = 0; i < options.size(); i += 2) {
        lines.add(options.get(i).substring(2) + " " + options.get(i + 1));
      }
      lines.addAll(
          List.of(
              "sentinel monitor " + MASTER + " 127.0.0.1 " + master.port + " 2",
              "sentinel down-after-milliseconds " + MASTER + " 1000",
              "sentinel failover-timeout " + MASTER + " 3000",
              "sentinel parallel-syncs " + MASTER + " 1"));
      if (s.password != null) {
        lines.add("requirepass " + s.password); // also what it gives the other Sentinels
      }
      if (secured.password() != null) {
        lines.add("sentinel auth-pass " + MASTER + " " + secured.password());
      }
      Files.writeString(conf, String.join("\n", lines) + "\n");
      s.start(List.of(sentinel.toString(), conf.toString()), List.of());
    }
    for (Instance s : sentinels) {
      await(
          READY,
          () -> {
            List<String> m = s.call("SENTINEL", "MASTER", MASTER);
            return field(m, "num-slaves").equals("1")
                && field(m, "num-other-sentinels").equals("2");
          },
          s.name + " knows the replica and the other Sentinels");
    }
  }

  /**
   * Where an instance listens, as redis-server options ({@code --NAME VALUE} pairs; a Sentinel's
   * config file has the same lines without the dashes): the plain port, or with TLS only the TLS
   * port, which replication and the Sentinels' own connections use too.
   */
  private List<String> listening(int port) {
    if (certificate == null) {
      return List.of("--port", Integer.toString(port));
    }
    return List.of(
        "--port", "0",
        "--tls-port", Integer.toString(port),
        "--tls-cert-file", certificate.cert().toString(),
        "--tls-key-file", certificate.key().toString(),
        "--tls-ca-cert-file", Objects.requireNonNull(secured.ca()).certificate().toString(),
        "--tls-auth-clients", "no",
        "--tls-replication", "yes");
  }

  /** The Sentinels' addresses, for {@code state.redis.sentinel.nodes}. */
  public List<InetSocketAddress> nodes() {
    return sentinels.stream()
        .map(s -> InetSocketAddress.createUnresolved("127.0.0.1", s.port))
        .toList();
  }

  public int masterPort() {
    return master.port;
  }

  public int replicaPort() {
    return replica.port;
  }

  /**
   * Waits until the replica has every write the master took before this call (its replication
   * offset has reached the master's), so that a failover loses none of them.
   */
  public void awaitReplicated() throws InterruptedException {
    long target = Long.parseLong(infoField(info(master), "master_repl_offset"));
    await(
        READY,
        () -> Long.parseLong(infoField(info(replica), "slave_repl_offset")) >= target,
        "the replica catches up");
  }

  /** Kills the master outright (SIGKILL), as a crash: the Sentinels will promote the replica. */
  public void killMaster() throws InterruptedException {
    master.kill();
  }

  /**
   * Waits until every Sentinel names the replica as the master and the replica says it is one.
   *
   * @throws AssertionError when that takes longer than {@code limit}
   */
  public void awaitPromoted(Duration limit) throws InterruptedException {
    await(
        limit,
        () ->
            info(replica).contains("role:master")
                && sentinels.stream()
                    .allMatch(
                        s ->
                            s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)
                                .equals(List.of("127.0.0.1", Integer.toString(replica.port)))),
        "the Sentinels promote the replica");
  }

  /** How many clients of the promoted replica subscribe to {@code channel} (PUBSUB NUMSUB). */
  public long subscribersOnReplica(String channel) {
    List<String> r = replica.call("PUBSUB", "NUMSUB", channel);
    return Long.parseLong(r.get(1));
  }

  @Override
  public void close() throws InterruptedException {
    for (Instance i : all.reversed()) {
      i.kill();
    }
  }

  private static String info(Instance i) {
    return String.join("", i.call("INFO", "REPLICATION"));
  }

  /** The value of {@code name:VALUE} in INFO's text. */
  private static String infoField(String info, String name) {
    for (String line : info.split("\r\n")) {
      if (line.startsWith(name + ":")) {
        return line.substring(name.length() + 1).strip();
      }
    }
    throw new IllegalStateException("no " + name + " in INFO:\n" + info);
  }

  /** The value after {@code name} in a flat list of names and values. */
  private static String field(List<String> pairs, String name) {
    int i = pairs.indexOf(name);
    return i >= 0 && i % 2 == 0 && i + 1 < pairs.size() ? pairs.get(i + 1) : "";
  }

  /** Polls {@code condition} (false when it throws) until it holds, failing after {@code limit}. */
  private void await(Duration limit, BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException notYet) {
        // not up yet, or a reply not yet in the shape awaited
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + limit + ": " + what + "\n" + logs());
      }
      TimeUnit.MILLISECONDS.sleep(20); // bounded poll of a condition, not ordering
    }
  }

  private String logs() {
    StringBuilder b = new StringBuilder();
    for (Instance i : all) {
      try {
        b.append("--- ").append(i.name).append('\n').append(Files.readString(i.log()));
      } catch (IOException e) {
        b.append("--- ").append(i.name).append(": no log (").append(e).append(")\n");
      }
    }
    return b.toString();
  }

  /** One redis-server or redis-sentinel process, in {@code DIR/NAME}, on a loopback port. */
  private final class Instance {
    final String name;
    final int port;
    final @Nullable String password;
    private Process process;

    Instance(String name, int port, @Nullable String password) {
      this.name = name;
      this.port = port;
      this.password = password;
    }

    Path dir() {
      return dir.resolve(name);
    }

    Path log() {
      return dir().resolve(name + ".log");
    }

    /**
     * Starts {@code command}, with the common server options unless it is a Sentinel (whose options
     * are in its config file), and waits until it answers PING.
     */
    void start(List<String> command, List<String> more) throws IOException, InterruptedException {
      Files.createDirectories(dir());
      List<String> args = new ArrayList<>(command);
      if (command.size() == 1) {
        args.addAll(listening(port));
        if (password != null) {
          args.addAll(List.of("--requirepass", password, "--masterauth", password));
        }
        args.addAll(
            List.of(
                "--bind", "127.0.0.1",
                "--dir", dir().toString(),
                "--save", "",
                "--appendonly", "no",
                "--repl-diskless-sync-delay", "0",
                "--daemonize", "no"));
      }
      args.addAll(more);
      process =
          new ProcessBuilder(args)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
              .start();
      await(
          READY,
          () -> {
            if (!process.isAlive()) {
              throw new AssertionError(name + " exited with " + process.exitValue());
            }
            return call("PING").equals(List.of("PONG"));
          },
          name + " answers PING");
    }

    /** SIGKILL to its PID, if it runs. */
    void kill() throws InterruptedException {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
        process.waitFor();
      }
    }

    /** A fresh connection, through TLS when the instances speak it; 1 s deadlines. */
    private Socket connect() throws IOException {
      Socket s = new Socket();
      try {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
        s.setSoTimeout(1000);
        return tls == null ? s : tls.getSocketFactory().createSocket(s, "127.0.0.1", port, true);
      } catch (IOException e) {
        s.close();
        throw e;
      }
    }

    /**
     * One command on a fresh connection; the reply flattened to strings (an array's elements, a
     * nested array's too).
     *
     * @throws IllegalStateException on an error reply, or when the instance does not answer
     */
    List<String> call(String... command) {
      try (Socket s = connect()) {
        OutputStream out = s.getOutputStream();
        InputStream in = new BufferedInputStream(s.getInputStream());
        if (password != null) {
          out.write(resp("AUTH", password));
          read(in, new ArrayList<>());
        }
        out.write(resp(command));
        out.flush();
        List<String> reply = new ArrayList<>();
        read(in, reply);
        return reply;
      } catch (IOException e) {
        throw new IllegalStateException(name + ": " + e, e);
      }
    }
  }

  /** {@code command} as a RESP array of bulk strings. */
  private static byte[] resp(String... command) {
    StringBuilder b = new StringBuilder("*").append(command.length).append("\r\n");
    for (String c : command) {
      b.append('$').append(c.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
      b.append(c).append("\r\n");
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Reads one RESP2 reply into {@code into}: simple strings, integers, bulk strings, arrays. */
  private static void read(InputStream in, List<String> into) throws IOException {
    String line = line(in);
    String rest = line.substring(1);
    switch (line.charAt(0)) {
      case '+', ':' -> into.add(rest);
      case '-' -> throw new IllegalStateException("error reply: " + rest);
      case '$' -> {
        int n = Integer.parseInt(rest);
        if (n >= 0) {
          byte[] data = in.readNBytes(n + 2);
          into.add(new String(data, 0, n, StandardCharsets.UTF_8));
        }
      }
      case '*' -> {
        int n = Integer.parseInt(rest);
        for (int i = 0; i < n; i++) {
          read(in, into);
        }
      }
      default -> throw new IllegalStateException("not RESP: " + line);
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new IOException("connection closed mid-reply");
      }
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }
}
