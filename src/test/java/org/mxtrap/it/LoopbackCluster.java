package org.mxtrap.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis Cluster of three masters and no replicas, each a Debian redis-server on a free loopback
 * port in a directory of its own (no persistence), joined by {@code redis-cli --cluster create} and
 * awaited until every node says {@code cluster_state:ok}. A node's cluster bus listens on its port
 * + 10000, so each port is picked with that one free too. Stopped by PID in {@link #close}.
 */
public final class LoopbackCluster implements AutoCloseable {
  private static final int NODES = 3;
  private static final int BUS_OFFSET = 10_000;

  private final Path cli;
  private final List<Integer> ports = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();

  private LoopbackCluster(Path cli) {
    this.cli = cli;
  }

  /** Starts three nodes under {@code dir}, joins them and waits until the cluster is ok. */
  public static LoopbackCluster start(Path dir) throws IOException, InterruptedException {
    Path server = Programs.require("redis-server", "redis-server");
    Path cli = Programs.require("redis-cli", "redis-tools");
    LoopbackCluster c = new LoopbackCluster(cli);
    try {
      for (int i = 0; i < NODES; i++) {
        Path nodeDir = Files.createDirectories(dir.resolve("node" + i));
        c.launch(server, nodeDir, freePortWithFreeBus(c.ports));
      }
      List<String> create = new ArrayList<>(List.of(cli.toString(), "--cluster", "create"));
      c.ports.forEach(p -> create.add("127.0.0.1:" + p));
      create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
      String out = run(dir.resolve("create.log"), create);
      if (!out.contains("[OK] All 16384 slots covered")) {
        throw new IllegalStateException("redis-cli --cluster create failed:\n" + out);
      }
      for (int p : c.ports) {
        c.await(dir, p, "cluster_state:ok");
      }
      return c;
    } catch (IOException | InterruptedException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** The seed nodes, for {@code state.redis.cluster}. */
  public List<InetSocketAddress> nodes() {
    return ports.stream().map(p -> InetSocketAddress.createUnresolved("127.0.0.1", p)).toList();
  }

  private void launch(Path server, Path nodeDir, int port)
      throws IOException, InterruptedException {
    ports.add(port);
    Process p =
        new ProcessBuilder(
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
                "--daemonize",
                "no")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(nodeDir.resolve("redis.log").toFile()))
            .start();
    processes.add(p);
    await(nodeDir, port, "PONG");
  }

  /** Until {@code redis-cli} gets an answer containing {@code expected}, for 30 s at most. */
  private void await(Path dir, int port, String expected) throws IOException, InterruptedException {
    String command = expected.equals("PONG") ? "PING" : "CLUSTER INFO";
    List<String> args = new ArrayList<>(List.of(cli.toString(), "-h", "127.0.0.1", "-p"));
    args.add(Integer.toString(port));
    args.addAll(List.of(command.split(" ")));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String out = "";
    while (System.nanoTime() - deadline < 0) {
      out = run(dir.resolve("await.log"), args);
      if (out.contains(expected)) {
        return;
      }
      Thread.sleep(50); // a poll interval, not an ordering sleep
    }
    throw new IllegalStateException(
        "node 127.0.0.1:" + port + " never answered " + expected + " to " + command + ":\n" + out);
  }

  /** Runs {@code args} to its end (30 s at most) and returns its output. */
  private static String run(Path log, List<String> args) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(args)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
            .start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor();
      throw new IllegalStateException(String.join(" ", args) + " did not finish");
    }
    return Files.readString(log, StandardCharsets.UTF_8);
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
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor();
      }
    }
  }
}
