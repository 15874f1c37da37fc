package org.mxtrap.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.mxtrap.testing.FreePorts;

/**
 * Debian's redis-server on a free loopback port, in its own directory (no persistence: neither RDB
 * snapshots nor an append-only file), for the shared-state tests. Started by {@link #start},
 * stopped by its PID in {@link #close}; {@link #stop()} and {@link #restart()} let a test take
 * Redis away and bring it back on the same port.
 */
public final class LoopbackRedis implements AutoCloseable {
  private final Path bin;
  private final Path dir;
  private final int port;
  private Process process;

  private LoopbackRedis(Path bin, Path dir, int port) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
  }

  /** Starts redis-server in {@code dir} and waits until it answers PING. */
  public static LoopbackRedis start(Path dir) throws IOException, InterruptedException {
    Path bin = Programs.require("redis-server", "redis-server");
    LoopbackRedis r = new LoopbackRedis(bin, dir, FreePorts.next());
    r.launch();
    return r;
  }

  /** {@code redis://127.0.0.1:PORT}, for {@code state.redis.url}. */
  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /**
   * Stops the server (SIGTERM to its PID, SIGKILL after 10 s); {@link #restart()} brings it back.
   */
  public void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
  }

  /** Starts it again on the same port, empty (nothing is persisted). */
  public void restart() throws IOException, InterruptedException {
    launch();
  }

  private void launch() throws IOException, InterruptedException {
    Path log = dir.resolve("redis.log");
    process =
        new ProcessBuilder(
                bin.toString(),
                "--bind",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--dir",
                dir.toString(),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--protected-mode",
                "yes")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    try {
      awaitPong(log);
    } catch (IOException | InterruptedException | RuntimeException e) {
      stop();
      throw e;
    }
  }

  /** Until the server answers {@code PING} with {@code +PONG}, or exits. */
  private void awaitPong(Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "redis-server exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        s.setSoTimeout(1000);
        s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] b = new byte[7];
        int n = s.getInputStream().read(b);
        if (n > 0 && new String(b, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG")) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      process.waitFor(20, TimeUnit.MILLISECONDS); // bounded poll of a condition, not ordering
    }
    throw new IllegalStateException("redis-server did not start:\n" + Files.readString(log));
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
