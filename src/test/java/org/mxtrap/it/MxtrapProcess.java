package org.mxtrap.it;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The packaged server ({@code target/mxtrap.jar}, built by {@code mvn package} before the
 * integration tests) running as a child process, as an administrator runs it. Its output goes to a
 * log file the test can read. {@link #kill()} is SIGKILL; {@link #stop()} is SIGTERM.
 */
final class MxtrapProcess implements AutoCloseable {
  private final Path config;
  private final Path log;
  private final int probePort;
  private InetAddress probeTo = InetAddress.getLoopbackAddress();
  private final @Nullable InetAddress probeFrom;
  private final List<String> jvmOptions;
  private final int openFiles;
  private String command = "serve";
  private @Nullable InetSocketAddress policyBind;
  private Process process;

  private MxtrapProcess(
      Path config,
      Path log,
      int probePort,
      @Nullable InetAddress probeFrom,
      List<String> jvmOptions,
      int openFiles) {
    this.config = config;
    this.log = log;
    this.probePort = probePort;
    this.probeFrom = probeFrom;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.openFiles = openFiles;
  }

  /** Starts {@code mxtrap serve --config config} and waits until {@code probePort} greets. */
  static MxtrapProcess start(Path config, Path log, int probePort) throws IOException {
    return start(config, log, probePort, null);
  }

  /**
   * As {@link #start(Path, Path, int)}, probing from the loopback source address {@code probeFrom}
   * (e.g. an allowed 127.0.0.2 when the config blocks 127.0.0.1), or any if null.
   */
  static MxtrapProcess start(Path config, Path log, int probePort, @Nullable InetAddress probeFrom)
      throws IOException {
    return start(config, log, probePort, probeFrom, List.of(), 0);
  }

  /**
   * As {@link #start(Path, Path, int, InetAddress)}, with JVM options (e.g. {@code -Xmx128m}) and,
   * when {@code openFiles} is positive, under that descriptor limit (soft and hard, so the JVM
   * cannot raise it).
   */
  static MxtrapProcess start(
      Path config,
      Path log,
      int probePort,
      @Nullable InetAddress probeFrom,
      List<String> jvmOptions,
      int openFiles)
      throws IOException {
    MxtrapProcess p = new MxtrapProcess(config, log, probePort, probeFrom, jvmOptions, openFiles);
    p.startProcess();
    return p;
  }

  /** Starts {@code mxtrap serve --config config} and waits until {@code listener} greets. */
  static MxtrapProcess startOn(Path config, Path log, InetSocketAddress listener)
      throws IOException {
    MxtrapProcess p = new MxtrapProcess(config, log, listener.getPort(), null, List.of(), 0);
    p.probeTo = listener.getAddress();
    p.startProcess();
    return p;
  }

  /**
   * Starts {@code mxtrap policy --config config}, the Postfix policy service alone, and waits until
   * {@code bind} (its {@code policy.bind}) accepts a connection.
   */
  static MxtrapProcess policy(Path config, Path log, InetSocketAddress bind) throws IOException {
    MxtrapProcess p = new MxtrapProcess(config, log, bind.getPort(), null, List.of(), 0);
    p.command = "policy";
    p.policyBind = bind;
    p.startProcess();
    return p;
  }

  static Path jar() {
    String prop = System.getProperty("mxtrap.jar");
    Path jar = prop != null ? Path.of(prop) : Path.of("target", "mxtrap.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no " + jar + ": run mvn package (or ./run-tests) first");
    }
    return jar;
  }

  /** Runs {@code mxtrap args...} to completion and returns its exit code and output. */
  static Result run(Duration timeout, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(java(), "-jar", jar().toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("mxtrap " + String.join(" ", args) + " did not finish");
    }
    return new Result(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8));
  }

  record Result(int exitCode, String output) {}

  private static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  private void startProcess() throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-jar", jar().toString(), command, "--config", config.toString()));
    if (openFiles > 0) {
      // exec: the server is the shell's process, so its PID is ours to signal.
      cmd = List.of("/bin/sh", "-c", "ulimit -n " + openFiles + " && exec \"$@\"", "sh");
      cmd = new ArrayList<>(cmd);
      cmd.add(java());
      cmd.addAll(jvmOptions);
      cmd.addAll(List.of("-jar", jar().toString(), command, "--config", config.toString()));
    }
    process =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    awaitGreeting(Duration.ofSeconds(60));
  }

  private void awaitGreeting(Duration limit) throws IOException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "mxtrap exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try (Socket s = new Socket()) {
        if (probeFrom != null) {
          s.bind(new InetSocketAddress(probeFrom, 0));
        }
        s.connect(
            policyBind != null ? policyBind : new InetSocketAddress(probeTo, probePort), 10_000);
        if (policyBind != null) {
          return; // the policy protocol has no greeting: the service waits for a request
        }
        s.setSoTimeout(10_000);
        int c = s.getInputStream().read();
        if (c == '2') {
          // QUIT and read to the end: the server releases the connection's permit before it
          // closes, so once we see the end, this probe no longer counts against any limit.
          s.getOutputStream()
              .write("QUIT\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          s.getInputStream().readAllBytes();
          return;
        }
      } catch (ConnectException notYet) {
        // not listening yet: poll again
      }
      Thread.onSpinWait();
      try {
        process.waitFor(20, TimeUnit.MILLISECONDS); // bounded poll of a condition, not ordering
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
    throw new IllegalStateException(
        "mxtrap did not greet on port " + probePort + ":\n" + Files.readString(log));
  }

  /** SIGKILL, as a crash or power cut would end it. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM, then waits for the graceful stop. Returns the exit code. */
  int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
    return process.exitValue();
  }

  /**
   * Starts the server again on the same config and data, after {@link #kill()} or {@link #stop()}.
   */
  void restart() throws IOException {
    startProcess();
  }

  long pid() {
    return process.pid();
  }

  String log() throws IOException {
    return Files.readString(log);
  }

  /**
   * Ends the server and fails the test if the server logged an error of its own: a bug in a session
   * or in delivery must not pass unnoticed because the client got its reply.
   */
  @Override
  public void close() throws InterruptedException, IOException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor();
    }
    String errors =
        Files.readAllLines(log).stream()
            .filter(l -> l.contains(": error: "))
            .collect(java.util.stream.Collectors.joining("\n"));
    if (!errors.isEmpty()) {
      throw new AssertionError("the server logged errors:\n" + errors);
    }
  }

  /**
   * Runs {@code mxtrap args...} to completion with its standard output in {@code stdout}; returns
   * its exit code and standard error.
   */
  static Result runTo(Path stdout, Duration timeout, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(java(), "-jar", jar().toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).start();
    byte[] err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("mxtrap " + String.join(" ", args) + " did not finish");
    }
    return new Result(p.exitValue(), new String(err, java.nio.charset.StandardCharsets.UTF_8));
  }
}
