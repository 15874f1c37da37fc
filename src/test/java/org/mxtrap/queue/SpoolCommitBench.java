package org.mxtrap.queue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;
import org.mxtrap.core.MessageSink;

/**
 * Measures the fsync cost of a disk and the spool's commit rate at 1, 20 and 100 concurrent writers
 * of 4 KB messages: a program, not a test. Run it with {@code bench/spool-commits.sh [DIR]
 * [SECONDS]}; DIR must be on the disk being judged (a tmpfs would flatter every figure).
 */
final class SpoolCommitBench {
  private SpoolCommitBench() {}

  public static void main(String[] args) throws Exception {
    Path base = Path.of(args.length > 0 ? args[0] : "/var/tmp");
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Path root = Files.createTempDirectory(base, "spool-bench");
    byte[] message = new byte[4096];
    Arrays.fill(message, (byte) 'x');

    System.out.printf("fsync cost on %s:%n", root);
    System.out.printf("  append 4 KB + fdatasync        %.2f ms%n", appendSync(root, message));
    System.out.printf("  new file + fsync + dir fsync   %.2f ms%n", newFileSync(root, message));

    for (int writers : new int[] {1, 20, 100}) {
      Path dir = root.resolve("queue-" + writers);
      try (Spool spool = Spool.open(dir, Clock.systemUTC())) {
        LongAdder commits = new LongAdder();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long start = System.nanoTime();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
          List<Future<?>> fs = new ArrayList<>();
          for (int w = 0; w < writers; w++) {
            fs.add(
                executor.submit(
                    () -> {
                      while (System.nanoTime() < deadline) {
                        try (MessageSink.Incoming in =
                            spool.open(
                                SpoolFixtures.envelope("bob@example.org", "alice@example.com"),
                                SpoolFixtures.trace())) {
                          in.content().write(message);
                          in.commit();
                        }
                        commits.increment();
                      }
                      return null;
                    }));
          }
          for (Future<?> f : fs) {
            f.get();
          }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf(
            "  %3d writers: %7.0f commits/s  (%d commits, %.1f commits per directory fsync)%n",
            writers,
            commits.sum() / elapsed,
            commits.sum(),
            commits.sum() / (double) Math.max(1, spool.directorySyncs()));
        if (spool.size() != commits.sum()) {
          throw new AssertionError(spool.size() + " queued for " + commits.sum() + " commits");
        }
      }
    }
    deleteTree(root);
  }

  private static void deleteTree(Path root) throws IOException {
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static double appendSync(Path root, byte[] b) throws IOException {
    int n = 200;
    long t = System.nanoTime();
    try (FileChannel c =
        FileChannel.open(
            root.resolve("append"), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      for (int i = 0; i < n; i++) {
        c.write(ByteBuffer.wrap(b));
        c.force(false);
      }
    }
    return (System.nanoTime() - t) / 1e6 / n;
  }

  private static double newFileSync(Path root, byte[] b) throws IOException {
    int n = 200;
    Path dir = Files.createDirectories(root.resolve("files"));
    long t = System.nanoTime();
    for (int i = 0; i < n; i++) { // what the spool does per message, alone
      try (FileChannel c =
          FileChannel.open(
              dir.resolve("f" + i), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        c.write(ByteBuffer.wrap(b));
        c.force(true);
      }
      Directories.sync(dir);
    }
    return (System.nanoTime() - t) / 1e6 / n;
  }
}
