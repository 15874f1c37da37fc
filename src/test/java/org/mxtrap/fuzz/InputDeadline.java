package org.mxtrap.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A deadline for each input of a fuzz test: an input that runs longer than {@link #LIMIT} is a
 * hang, so its octets are saved as {@code hang-<sha1>} in the fuzzing directory, the stack of the
 * thread running it is printed, and the JVM is halted, which fails the build.
 *
 * <p>Nothing else would stop such an input: Jazzer runs the committed inputs as plain JUnit
 * invocations, outside libFuzzer's own timeout, and while an input runs Jazzer's shutdown hook
 * waits for it, so neither surefire's fork timeout nor SIGTERM ends the JVM; CI would sit until its
 * budget ran out. One input at a time (fuzz tests run on one thread).
 */
public final class InputDeadline {

  /** Far above what any input takes (milliseconds, even on a loaded machine). */
  public static final Duration LIMIT = Duration.ofSeconds(30);

  private static volatile @Nullable InputDeadline current;

  private static final ScheduledExecutorService WATCH =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "fuzz-input-deadline");
            t.setDaemon(true);
            return t;
          });

  static {
    WATCH.scheduleAtFixedRate(InputDeadline::check, 1, 1, TimeUnit.SECONDS);
  }

  private final byte[] input;
  private final Thread thread;
  private final long startNanos;

  private InputDeadline(byte[] input) {
    this.input = input;
    this.thread = Thread.currentThread();
    this.startNanos = System.nanoTime();
  }

  /** What a fuzz test does with one input. */
  @FunctionalInterface
  public interface Body {
    void run() throws IOException;
  }

  /** Runs {@code body}, the fuzz test's work on {@code input}, under the deadline. */
  public static void run(byte[] input, Body body) throws IOException {
    current = new InputDeadline(input);
    try {
      body.run();
    } finally {
      current = null;
    }
  }

  private static void check() {
    InputDeadline d = current;
    if (d == null || System.nanoTime() - d.startNanos < LIMIT.toNanos()) {
      return;
    }
    StringBuilder report = new StringBuilder("fuzz input still running after " + LIMIT + "\n");
    for (StackTraceElement e : d.thread.getStackTrace()) {
      report.append("\tat ").append(e).append('\n');
    }
    try {
      Path dir = Path.of(System.getProperty("jazzer.internal.basedir", "target/fuzz"));
      Files.createDirectories(dir);
      Path saved = dir.resolve("hang-" + sha1(d.input));
      Files.write(saved, d.input);
      report.append("input saved as ").append(saved.toAbsolutePath()).append('\n');
    } catch (IOException e) {
      report.append("input not saved: ").append(e).append('\n');
    }
    System.err.print(report);
    System.err.flush();
    Runtime.getRuntime().halt(3);
  }

  private static String sha1(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
