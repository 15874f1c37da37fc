package org.mxtrap.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.mxtrap.it.PrivateCa.Issued;
import org.mxtrap.testing.FreePorts;

/**
 * Debian's redis-server on a free loopback port, in its own directory (no persistence: neither RDB
 * snapshots nor an append-only file), for the shared-state tests. Started by {@link #start},
 * stopped by its PID in {@link #close}; {@link #stop()} and {@link #restart()} let a test take
 * Redis away and bring it back on the same port. {@link #start(Path, Secured)} starts one that
 * requires a password, speaks only TLS, or both.
 */
public final class LoopbackRedis implements AutoCloseable {
  private final Path bin;
  private final Path dir;
  private final int port;
  private final Secured secured;
  private final @Nullable Issued certificate;
  private Process process;

  /**
   * How a server is secured.
   *
   * @param password what it requires ({@code requirepass}), or null for nothing
   * @param ca the CA that issues its certificate (for 127.0.0.1 and localhost): TLS only ({@code
   *     port 0}, {@code tls-port}, clients not asked for a certificate); null for plaintext only
   */
  public record Secured(@Nullable String password, @Nullable PrivateCa ca) {
    static final Secured NOT = new Secured(null, null);
  }

  private LoopbackRedis(Path bin, Path dir, int port, Secured secured, @Nullable Issued cert) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.secured = secured;
    this.certificate = cert;
  }

  /** Starts redis-server in {@code dir} and waits until it answers PING. */
  public static LoopbackRedis start(Path dir) throws IOException, InterruptedException {
    return start(dir, Secured.NOT);
  }

  /** Starts redis-server in {@code dir}, secured so, and waits until it answers PING. */
  public static LoopbackRedis start(Path dir, Secured secured)
      throws IOException, InterruptedException {
    Path bin = Programs.require("redis-server", "redis-server");
    PrivateCa ca = secured.ca();
    Issued cert = ca == null ? null : ca.issue("redis", "IP:127.0.0.1", "DNS:localhost");
    LoopbackRedis r = new LoopbackRedis(bin, dir, FreePorts.next(), secured, cert);
    r.launch();
    return r;
  }

  /** {@code redis://127.0.0.1:PORT}, or {@code rediss://} with TLS, for {@code state.redis.url}. */
  public String url() {
    return (certificate == null ? "redis" : "rediss") + "://127.0.0.1:" + port;
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
    List<String> args = new ArrayList<>(List.of(bin.toString(), "--bind", "127.0.0.1"));
    if (certificate == null) {
      args.addAll(List.of("--port", Integer.toString(port)));
    } else {
      args.addAll(
          List.of(
              "--port", "0",
              "--tls-port", Integer.toString(port),
              "--tls-cert-file", certificate.cert().toString(),
              "--tls-key-file", certificate.key().toString(),
              "--tls-ca-cert-file", Objects.requireNonNull(secured.ca()).certificate().toString(),
              "--tls-auth-clients", "no"));
    }
    if (secured.password() != null) {
      args.addAll(List.of("--requirepass", secured.password()));
    }
    args.addAll(
        List.of(
            "--dir",
            dir.toString(),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--protected-mode",
            "yes"));
    process =
        new ProcessBuilder(args)
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
      try (Socket s = connect()) {
        String password = secured.password();
        String command = (password == null ? "" : "AUTH " + password + "\r\n") + "PING\r\n";
        s.getOutputStream().write(command.getBytes(StandardCharsets.US_ASCII));
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
        if (password != null) {
          in.readLine(); // +OK
        }
        if ("+PONG".equals(in.readLine())) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      process.waitFor(20, TimeUnit.MILLISECONDS); // bounded poll of a condition, not ordering
    }
    throw new IllegalStateException("redis-server did not start:\n" + Files.readString(log));
  }

  /** A connection to the server, through TLS when it speaks TLS; 1 s deadlines. */
  private Socket connect() throws IOException {
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      s.setSoTimeout(1000);
      PrivateCa ca = secured.ca();
      return ca == null
          ? s
          : ca.clientContext().getSocketFactory().createSocket(s, "127.0.0.1", port, true);
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
