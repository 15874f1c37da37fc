package org.mxtrap.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/** Helpers shared by the integration tests: waiting for deliveries, reading Maildirs. */
public final class SmtpHarness {
  private SmtpHarness() {}

  /** The files in a Maildir {@code new/} directory (empty when it does not exist yet). */
  public static List<Path> messages(Path newDir) throws IOException {
    if (!Files.isDirectory(newDir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(newDir)) {
      return s.sorted().toList();
    }
  }

  /**
   * Waits until {@code newDir} holds at least {@code count} messages, polling the condition for at
   * most {@code limit}; returns them.
   */
  public static List<Path> awaitMessages(Path newDir, int count, Duration limit)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      List<Path> m = messages(newDir);
      if (m.size() >= count || System.nanoTime() > deadline) {
        return m;
      }
      Thread.sleep(20); // polling a condition with a deadline, not ordering events
    }
  }

  public static String read(Path p) throws IOException {
    return Files.readString(p, java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * The Received header fields of a stored message (LF line ends), newest first, each with its
   * folded continuation lines.
   */
  static List<String> receivedHeaders(String message) {
    return java.util.regex.Pattern.compile("(?m)^Received: .*(?:\\n\\t.*)*")
        .matcher(message)
        .results()
        .map(m -> m.group())
        .toList();
  }

  /** Every message delivered under {@code dataDir/mail}, all recipients. */
  static List<Path> allDelivered(Path dataDir) throws IOException {
    Path mail = dataDir.resolve("mail");
    if (!Files.isDirectory(mail)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(mail)) {
      return s.filter(Files::isRegularFile)
          .filter(p -> p.getParent().getFileName().toString().equals("new"))
          .toList();
    }
  }
}
