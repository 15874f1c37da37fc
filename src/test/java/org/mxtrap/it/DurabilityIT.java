package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance is durability: clients submit mail while the server is killed with SIGKILL several
 * times and restarted. Every message that got a 250 must be delivered afterwards. Duplicates (a
 * message made durable whose 250 was lost with the process) are counted and reported.
 */
class DurabilityIT {
  private static final int SENDERS = 4;
  private static final int KILLS = 4;
  private static final int MAX_MESSAGES = 2_000;
  // Every fourth message is larger than what is delivered in session (InSessionDelivery,
  // 128 KiB), so both ways to a 250 are killed under: delivered before it, or queued.
  private static final String LARGE_BODY = ("x".repeat(998) + "\r\n").repeat(140);
  private static final Pattern TOKEN = Pattern.compile("X-Durability-Token: (\\S+)");

  @TempDir Path dir;

  @Test
  void everyAcknowledgedMessageSurvivesSigkill() throws Exception {
    TestLayout layout = new TestLayout(dir);
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicInteger attempts = new AtomicInteger();
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
    try (MxtrapProcess server = layout.start()) {
      for (int s = 0; s < SENDERS; s++) {
        int sender = s;
        senders.submit(() -> send(layout.primary, sender, running, attempts, acknowledged));
      }
      for (int kill = 0; kill < KILLS; kill++) {
        int before = acknowledged.size();
        awaitCondition(() -> acknowledged.size() >= before + 20, Duration.ofSeconds(60));
        server.kill();
        server.restart();
      }
      int before = acknowledged.size();
      awaitCondition(() -> acknowledged.size() >= before + 20, Duration.ofSeconds(60));
      running.set(false);
      senders.shutdown();
      assertThat(senders.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

      // Every acknowledged token must be delivered (after the last restart's queue recovery).
      Map<String, Integer> delivered = new HashMap<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (true) {
        delivered = deliveredTokens(layout);
        if (delivered.keySet().containsAll(acknowledged) || System.nanoTime() > deadline) {
          break;
        }
        Thread.sleep(50); // polling a condition with a deadline
      }
      Set<String> lost = new java.util.TreeSet<>(acknowledged);
      lost.removeAll(delivered.keySet());
      long duplicates = delivered.values().stream().filter(n -> n > 1).count();
      long unacknowledgedButDelivered =
          delivered.keySet().stream().filter(t -> !acknowledged.contains(t)).count();
      System.out.printf(
          "durability: %d attempts, %d acknowledged, %d delivered, %d lost, %d duplicated,"
              + " %d delivered without a 250 (reply lost with the process), %d SIGKILLs%n",
          attempts.get(),
          acknowledged.size(),
          delivered.size(),
          lost.size(),
          duplicates,
          unacknowledgedButDelivered,
          KILLS);
      assertThat(lost).as("acknowledged but never delivered").isEmpty();
      assertThat(acknowledged.size()).isGreaterThanOrEqualTo(KILLS * 20);
    } finally {
      running.set(false);
      senders.shutdownNow();
    }
  }

  private static void send(
      int port, int sender, AtomicBoolean running, AtomicInteger attempts, Set<String> acked) {
    int n = 0;
    while (running.get() && attempts.get() < MAX_MESSAGES) {
      try (RawSmtp c = new RawSmtp(port)) {
        if (!c.reply().startsWith("220")) {
          continue;
        }
        c.command("EHLO sender" + sender + ".client.test");
        while (running.get() && attempts.incrementAndGet() < MAX_MESSAGES) {
          String token = "s" + sender + "-" + (n++);
          if (!c.command("MAIL FROM:<load@client.test>").startsWith("250")
              || !c.command("RCPT TO:<durable@example.test>").startsWith("250")
              || !c.command("DATA").startsWith("354")) {
            break;
          }
          String reply =
              c.command(
                  "X-Durability-Token: "
                      + token
                      + "\r\nSubject: durable\r\n\r\n"
                      + (n % 4 == 0 ? LARGE_BODY : "line\r\n".repeat(50))
                      + ".");
          if (reply != null && reply.startsWith("250")) {
            acked.add(token);
          }
        }
      } catch (IOException | RuntimeException e) {
        // the server was killed under us: reconnect once it is back, without spinning hot
        try {
          Thread.sleep(5);
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  private static Map<String, Integer> deliveredTokens(TestLayout layout) throws IOException {
    Map<String, Integer> tokens = new HashMap<>();
    List<Path> files = SmtpHarness.messages(layout.inbox("durable"));
    for (Path f : files) {
      String text;
      try {
        text = SmtpHarness.read(f);
      } catch (IOException vanished) {
        continue;
      }
      Matcher m = TOKEN.matcher(text);
      if (m.find()) {
        tokens.merge(m.group(1), 1, Integer::sum);
      }
    }
    return tokens;
  }

  private static void awaitCondition(java.util.function.BooleanSupplier c, Duration limit)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + limit);
      }
      Thread.sleep(10); // polling a condition with a deadline
    }
  }
}
