package org.mxtrap.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A Redis Cluster of three masters, with or without replicas, each node a Debian redis-server on a
 * free loopback port in a directory of its own (no persistence), joined by {@code redis-cli
 * --cluster create} and awaited until every node says {@code cluster_state:ok} and every replica
 * has synced. A node's cluster bus listens on its port + 10000, so each port is picked with that
 * one free too. With replicas, the nodes take a peer as failing after {@value #NODE_TIMEOUT_MS} ms
 * without an answer, so a replica takes over within a few seconds of {@link #kill}ing its master.
 * Every node is stopped by its PID in {@link #close}.
 */
public final class LoopbackCluster implements AutoCloseable {
  private static final int MASTERS = 3;
  private static final int BUS_OFFSET = 10_000;
  private static final int NODE_TIMEOUT_MS = 1000;
  private static final Duration READY = Duration.ofSeconds(30);

  private final Path dir;
  private final Path cli;
  private final Map<Integer, Process> processes = new LinkedHashMap<>(); // by port

  private LoopbackCluster(Path dir, Path cli) {
    this.dir = dir;
    this.cli = cli;
  }

  /** Starts three masters without replicas under {@code dir}, joined and ok. */
  public static LoopbackCluster start(Path dir) throws IOException, InterruptedException {
    return start(dir, 0);
  }

  /**
   * Starts three masters with {@code replicas} replicas each under {@code dir}, joins them and
   * waits until the cluster is ok and every replica has synced with its master.
   */
  public static LoopbackCluster start(Path dir, int replicas)
      throws IOException, InterruptedException {
    Path server = Programs.require("redis-server", "redis-server");
    Path cli = Programs.require("redis-cli", "redis-tools");
    LoopbackCluster c = new LoopbackCluster(dir, cli);
    try {
      // Without replicas a node taken as failing cannot be replaced and only turns the cluster's
      // state to fail: the default timeout (15 s) keeps a busy machine from doing that.
      List<String> options =
          replicas > 0
              ? List.of("--cluster-node-timeout", Integer.toString(NODE_TIMEOUT_MS))
              : List.of();
      for (int i = 0; i < MASTERS * (1 + replicas); i++) {
        Path nodeDir = Files.createDirectories(dir.resolve("node" + i));
        c.launch(server, nodeDir, freePortWithFreeBus(c.ports()), options);
      }
      List<String> create = new ArrayList<>(List.of("--cluster", "create"));
      c.ports().forEach(p -> create.add("127.0.0.1:" + p));
      create.addAll(List.of("--cluster-replicas", Integer.toString(replicas), "--cluster-yes"));
      String out = c.cli(c.ports().getFirst(), create);
      if (!out.contains("[OK] All 16384 slots covered")) {
        throw new IllegalStateException("redis-cli --cluster create failed:\n" + out);
      }
      await(
          READY,
          "every node says cluster_state:ok and every replica has synced",
          () ->
              c.running().stream()
                  .allMatch(
                      p ->
                          c.cli(p, "CLUSTER", "INFO").contains("cluster_state:ok")
                              && !c.cli(p, "INFO", "REPLICATION")
                                  .contains("master_link_status:down")));
      return c;
    } catch (IOException | InterruptedException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** The seed nodes, for {@code state.redis.cluster}: every node, master or replica. */
  public List<InetSocketAddress> nodes() {
    return ports().stream().map(p -> InetSocketAddress.createUnresolved("127.0.0.1", p)).toList();
  }

  private List<Integer> ports() {
    return List.copyOf(processes.keySet());
  }

  /** The ports of the nodes still running. */
  private List<Integer> running() {
    return processes.entrySet().stream()
        .filter(e -> e.getValue().isAlive())
        .map(Map.Entry::getKey)
        .toList();
  }

  private void launch(Path server, Path nodeDir, int port, List<String> options)
      throws IOException, InterruptedException {
    List<String> args =
        new ArrayList<>(
            List.of(
                server.toString(),
                "--bind",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--dir",
                nodeDir.toString(),
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                nodeDir.resolve("nodes.conf").toString(),
                "--save",
                "",
                "--appendonly",
                "no",
                "--repl-diskless-sync-delay",
                "0",
                "--daemonize",
                "no"));
    args.addAll(options);
    Process p =
        new ProcessBuilder(args)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(nodeDir.resolve("redis.log").toFile()))
            .start();
    processes.put(port, p);
    await(READY, "127.0.0.1:" + port + " answers PING", () -> cli(port, "PING").contains("PONG"));
  }

  /**
   * The port of the master that serves {@code key}'s slot ({@code CLUSTER KEYSLOT}), as the first
   * running node sees it.
   */
  public int masterOf(String key) {
    int asked = running().getFirst();
    int slot = Integer.parseInt(cli(asked, "CLUSTER", "KEYSLOT", key).strip());
    return clusterNodes(asked).stream()
        .filter(n -> n.flags().contains("master") && n.serves(slot))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no master serves slot " + slot))
        .port();
  }

  /** Kills the node on {@code port} outright (SIGKILL to its PID), as a crash. */
  public void kill(int port) throws InterruptedException {
    Process p = processes.get(port);
    if (p == null) {
      throw new IllegalArgumentException("no node on port " + port);
    }
    p.destroyForcibly();
    p.waitFor();
  }

  /**
   * Waits until every replica has every write its master took before this call (its replication
   * offset has reached the master's), so that a failover loses none of them.
   */
  public void awaitReplicated() throws InterruptedException {
    Map<Integer, Long> taken = new HashMap<>(); // master's port -> its offset now
    for (int p : running()) {
      String info = cli(p, "INFO", "REPLICATION");
      if (info.contains("role:master")) {
        taken.put(p, Long.parseLong(infoField(info, "master_repl_offset")));
      }
    }
    await(
        READY,
        "every replica has what its master took",
        () ->
            running().stream()
                .map(p -> cli(p, "INFO", "REPLICATION"))
                .filter(info -> info.contains("role:slave"))
                .allMatch(
                    info ->
                        Long.parseLong(infoField(info, "slave_repl_offset"))
                            >= taken.getOrDefault(
                                Integer.parseInt(infoField(info, "master_port")), 0L)));
  }

  /**
   * Waits until every running node says {@code cluster_state:ok} and names only running nodes as
   * masters of slots: the replica of a {@link #kill}ed master has taken its slots over.
   *
   * @throws IllegalStateException when that takes longer than {@code limit}
   */
  public void awaitFailover(Duration limit) throws InterruptedException {
    List<Integer> running = running();
    await(
        limit,
        "the replicas of the killed masters take over",
        () ->
            running.stream()
                .allMatch(
                    p ->
                        cli(p, "CLUSTER", "INFO").contains("cluster_state:ok")
                            && clusterNodes(p).stream()
                                .filter(n -> !n.slots().isEmpty())
                                .allMatch(
                                    n ->
                                        running.contains(n.port())
                                            && !n.flags().contains("fail")
                                            && !n.flags().contains("fail?"))));
  }

  /** One line of {@code CLUSTER NODES}: the node's port, its flags and its slots. */
  private record Node(int port, List<String> flags, List<String> slots) {
    /**
     * {@code ID IP:PORT@BUSPORT[,HOSTNAME] FLAGS MASTER PING PONG EPOCH LINK SLOT...}, each SLOT
     * {@code N}, {@code FROM-TO} or a migration in brackets.
     */
    static Node parse(String line) {
      String[] f = line.strip().split(" ");
      String address = f[1].substring(0, f[1].indexOf('@'));
      return new Node(
          Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)),
          List.of(f[2].split(",")),
          List.of(f).subList(8, f.length));
    }

    boolean serves(int slot) {
      for (String s : slots) {
        if (s.startsWith("[")) {
          continue;
        }
        int dash = s.indexOf('-');
        int from = Integer.parseInt(dash < 0 ? s : s.substring(0, dash));
        int to = dash < 0 ? from : Integer.parseInt(s.substring(dash + 1));
        if (from <= slot && slot <= to) {
          return true;
        }
      }
      return false;
    }
  }

  /** The cluster's nodes as the node on {@code port} sees them. */
  private List<Node> clusterNodes(int port) {
    return cli(port, "CLUSTER", "NODES")
        .lines()
        .filter(l -> !l.isBlank())
        .map(Node::parse)
        .toList();
  }

  /** The value of {@code name:VALUE} in INFO's text. */
  private static String infoField(String info, String name) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(name + ":")) {
        return line.substring(name.length() + 1).strip();
      }
    }
    throw new IllegalStateException("no " + name + " in INFO:\n" + info);
  }

  /**
   * Polls {@code condition} (false when it throws) every 50 ms until it holds.
   *
   * @throws IllegalStateException when it does not within {@code limit}
   */
  private static void await(Duration limit, String what, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() - deadline < 0) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException notYet) {
        last = notYet; // not up yet, or a reply not yet in the shape awaited
      }
      TimeUnit.MILLISECONDS.sleep(50); // a poll interval, not an ordering sleep
    }
    throw new IllegalStateException("not within " + limit + ": " + what, last);
  }

  private String cli(int port, String... args) {
    return cli(port, List.of(args));
  }

  /**
   * {@code redis-cli -h 127.0.0.1 -p PORT ARGS...} run to its end (30 s at most, its output in
   * {@code redis-cli.log} under the cluster's directory): its output.
   */
  private String cli(int port, List<String> args) {
    List<String> command =
        new ArrayList<>(List.of(cli.toString(), "-h", "127.0.0.1", "-p", Integer.toString(port)));
    command.addAll(args);
    Path log = dir.resolve("redis-cli.log");
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
              .start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor();
        throw new IllegalStateException(String.join(" ", command) + " did not finish");
      }
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
    }
  }

  /** A free loopback port below 55536 whose bus port (+10000) is free too, not in {@code taken}. */
  private static int freePortWithFreeBus(List<Integer> taken) {
    for (int attempt = 0; attempt < 100; attempt++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        int port = s.getLocalPort();
        if (port + BUS_OFFSET > 65_535
            || taken.contains(port)
            || taken.contains(port + BUS_OFFSET)
            || taken.contains(port - BUS_OFFSET)) {
          continue;
        }
        try (ServerSocket bus =
            new ServerSocket(port + BUS_OFFSET, 1, InetAddress.getLoopbackAddress())) {
          return port;
        } catch (IOException busTaken) {
          // try another
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new IllegalStateException("no free port pair (PORT, PORT+10000) on loopback");
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : processes.values()) {
      p.destroy();
    }
    for (Process p : processes.values()) {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor();
      }
    }
  }
}
