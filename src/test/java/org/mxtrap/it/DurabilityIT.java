package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance is durability, and delivery happens once: clients submit mail while the server is
 * killed with SIGKILL several times and restarted. Afterwards, once the queue is empty, every
 * message that got a 250 is in the Maildir exactly once, and no message is there twice (a message
 * made durable whose 250 was lost with the process may be there once; the test's clients never send
 * a message again, so a second copy can only be a delivery repeated after a restart).
 *
 * <p>Half of the messages are larger than what is delivered in session ({@code InSessionDelivery},
 * 128 KiB), so each kill lands among queue deliveries: the window where a copy is already in {@code
 * new/} and the queue file not yet removed is what the restart must not deliver again.
 */
class DurabilityIT {
  private static final int SENDERS = 4;
  private static final int KILLS = 6;
  // Acknowledged messages between two kills: with the rounds, thousands in all.
  private static final int PER_ROUND = 400;
  private static final int MAX_MESSAGES = 20_000;
  private static final String LARGE_BODY = ("x".repeat(998) + "\r\n").repeat(140);
  private static final String SMALL_BODY = "line\r\n".repeat(50);
  private static final Pattern TOKEN = Pattern.compile("X-Durability-Token: (\\S+)");

  @TempDir Path dir;

  @Test
  void everyAcknowledgedMessageIsDeliveredExactlyOnceAcrossSigkills() throws Exception {
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
        awaitCondition(
            () -> acknowledged.size() >= before + PER_ROUND,
            Duration.ofSeconds(60),
            "acknowledgements before kill " + (kill + 1));
        server.kill();
        server.restart();
      }
      int before = acknowledged.size();
      awaitCondition(
          () -> acknowledged.size() >= before + PER_ROUND,
          Duration.ofSeconds(60),
          "acknowledgements after the last restart");
      running.set(false);
      senders.shutdown();
      assertThat(senders.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

      // Once the queue is empty, nothing more can be delivered: count then.
      Path active = layout.dataDir.resolve("queue").resolve("active");
      awaitCondition(() -> count(active) == 0, Duration.ofSeconds(60), "an empty queue");
      Map<String, Integer> delivered = deliveredTokens(layout);

      Set<String> lost = new TreeSet<>(acknowledged);
      lost.removeAll(delivered.keySet());
      Map<String, Integer> repeated = new TreeMap<>();
      delivered.forEach(
          (token, n) -> {
            if (n > 1) {
              repeated.put(token, n);
            }
          });
      // Evidence that the kills landed in the window the fix is for.
      long found = server.log().lines().filter(l -> l.contains("(by an earlier attempt: ")).count();
      long unacknowledgedButDelivered =
          delivered.keySet().stream().filter(t -> !acknowledged.contains(t)).count();
      System.out.printf(
          "durability: %d attempts, %d acknowledged, %d delivered, %d lost, %d delivered more"
              + " than once, %d delivered without a 250 (reply lost with the process), %d SIGKILLs,"
              + " %d found in the Maildir after a restart and not delivered again, %d file(s) left"
              + " in tmp/%n",
          attempts.get(),
          acknowledged.size(),
          delivered.size(),
          lost.size(),
          repeated.size(),
          unacknowledgedButDelivered,
          KILLS,
          found,
          count(layout.inbox("durable").resolveSibling("tmp")));
      assertThat(lost).as("acknowledged but never delivered").isEmpty();
      assertThat(repeated).as("delivered more than once (token -> copies)").isEmpty();
      // What the killed processes left in tmp/ is swept by the restarted one at its start.
      Path tmp = layout.inbox("durable").resolveSibling("tmp");
      awaitCondition(() -> count(tmp) == 0, Duration.ofSeconds(30), "an empty tmp/");
      assertThat(acknowledged.size()).isGreaterThanOrEqualTo((KILLS + 1) * PER_ROUND);
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
          // Unique per message, never sent twice: a second copy is a repeated delivery.
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
                      + (n % 2 == 0 ? LARGE_BODY : SMALL_BODY)
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

  /** Copies per token in the Maildir, {@code new/} and {@code cur/} alike. */
  private static Map<String, Integer> deliveredTokens(TestLayout layout) throws IOException {
    Map<String, Integer> tokens = new HashMap<>();
    Path inbox = layout.inbox("durable");
    for (Path d : new Path[] {inbox, inbox.resolveSibling("cur")}) {
      for (Path f : SmtpHarness.messages(d)) {
        Matcher m = TOKEN.matcher(SmtpHarness.read(f));
        if (m.find()) {
          tokens.merge(m.group(1), 1, Integer::sum);
        }
      }
    }
    return tokens;
  }

  private static long count(Path d) {
    if (!Files.isDirectory(d)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(d)) {
      return s.count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void awaitCondition(
      java.util.function.BooleanSupplier c, Duration limit, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not within " + limit);
      }
      Thread.sleep(10); // polling a condition with a deadline
    }
  }
}
