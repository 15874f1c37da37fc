package org.mxtrap.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxtrap.queue.SpoolFixtures.envelope;
import static org.mxtrap.queue.SpoolFixtures.names;
import static org.mxtrap.queue.SpoolFixtures.trace;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.TraceInfo;
import org.mxtrap.delivery.DeliveryAgent.Prior;
import org.mxtrap.queue.SpoolFixtures;
import org.mxtrap.testing.FakeClock;

class MaildirDeliveryTest {
  @TempDir Path root;
  final FakeClock clock = new FakeClock();
  MaildirDelivery maildir;

  @org.junit.jupiter.api.BeforeEach
  void setUp() {
    maildir = new MaildirDelivery(root, "mail.example.com", List.of("example.com"), clock, 4242);
  }

  static final String ID = "1JWTKQJ80000H";
  static final String COPY = "1748944800.M0K" + ID + ".mail.example.com";

  private List<RecipientResult> deliver(Envelope env, TraceInfo trace, String content)
      throws IOException {
    return deliver(ID, env, trace, content, Prior.NONE);
  }

  private List<RecipientResult> deliver(
      String id, Envelope env, TraceInfo trace, String content, Prior prior) throws IOException {
    return maildir.deliver(
        new DeliveryAgent.Delivery(
            id,
            env,
            trace,
            env.recipients(),
            () -> new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)),
            prior));
  }

  private Path box(String localPart) {
    return root.resolve("example.com").resolve(localPart);
  }

  @Test
  void deliversACopyPerRecipientWithReturnPathAndReceived() throws IOException {
    Envelope env = envelope("bob@example.org", "Alice@example.com", "carol@example.com");
    List<RecipientResult> results =
        deliver(env, trace(), "Subject: hi\r\n\r\nHello.\r\nbare\rCR\r\n");

    assertThat(results)
        .allSatisfy(r -> assertThat(r).isInstanceOf(RecipientResult.Delivered.class))
        .extracting(RecipientResult::status, RecipientResult::relay)
        .containsOnly(org.assertj.core.groups.Tuple.tuple(EnhancedStatus.DELIVERED, "maildir"));
    Path alice = root.resolve("example.com").resolve("alice");
    assertThat(names(alice)).containsExactly("cur", "new", "tmp");
    assertThat(names(alice.resolve("tmp"))).isEmpty();
    List<String> files = names(alice.resolve("new"));
    assertThat(files).singleElement().asString().isEqualTo(COPY);
    assertThat(Files.readString(alice.resolve("new").resolve(files.get(0))))
        .isEqualTo(
            """
            Return-Path: <bob@example.org>
            Received: from mail.example.org (mail.example.org [192.0.2.7])
            \tby mail.example.com ([192.0.2.10]:25, primary, MX 10) with ESMTP
            \tid 1JWTKQJ80000H for <Alice@example.com>; Tue, 3 Jun 2025 10:00:00 +0000
            Subject: hi

            Hello.
            bare\rCR
            """);
    Path carol = root.resolve("example.com").resolve("carol").resolve("new");
    assertThat(Files.readString(carol.resolve(names(carol).get(0))))
        .contains("for <carol@example.com>;");
  }

  @Test
  void receivedForIPv6WithTlsAndUnknownReverseName() throws IOException {
    TraceInfo t =
        trace(
            "client.example.org", null, "2001:db8::7", "ESMTPS", "TLSv1.3 TLS_AES_256_GCM_SHA384");
    deliver(envelope("", "alice@example.com"), t, "\r\n");

    Path dir = root.resolve("example.com").resolve("alice").resolve("new");
    assertThat(Files.readString(dir.resolve(names(dir).get(0))))
        .isEqualTo(
            """
            Return-Path: <>
            Received: from client.example.org (unknown [IPv6:2001:db8::7])
            \tby mail.example.com ([192.0.2.10]:25, primary, MX 10) with ESMTPS
            \t(TLSv1.3 TLS_AES_256_GCM_SHA384) id 1JWTKQJ80000H for <alice@example.com>;
            \tTue, 3 Jun 2025 10:00:00 +0000

            """);
  }

  @Test
  void receivedHeaderFoldsUnder78AndNeutralisesABadHelo() {
    String h =
        ReceivedHeader.of(
            trace("bad (helo) name", "c.example.org", "192.0.2.7", "ESMTP", null),
            "mail.example.com",
            "1JWTKQJ80000H",
            null);
    assertThat(h)
        .isEqualTo(
            "Received: from unknown (c.example.org [192.0.2.7])\r\n"
                + "\tby mail.example.com ([192.0.2.10]:25, primary, MX 10) with ESMTP\r\n"
                + "\tid 1JWTKQJ80000H; Tue, 3 Jun 2025 10:00:00 +0000\r\n");
    assertThat(h.split("\r\n"))
        .allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(78));
  }

  @Test
  void theCopyIsNamedAfterTheQueueIdAndTheTmpFileAfterOurProcessToo() throws IOException {
    clock.advance(java.time.Duration.ofMillis(1500));
    List<String> inTmp = new java.util.ArrayList<>();
    Envelope env = envelope("bob@example.org", "alice@example.com");
    maildir.deliver(
        new DeliveryAgent.Delivery(
            ID,
            env,
            trace(),
            env.recipients(),
            () -> {
              inTmp.addAll(names(box("alice").resolve("tmp"))); // while the copy is written
              return new ByteArrayInputStream("x\r\n".getBytes(StandardCharsets.UTF_8));
            },
            Prior.NONE));

    // copy: the time the message was received, K and the queue ID; tmp: the time of writing,
    // our process ID and delivery count, K and the queue ID.
    assertThat(names(box("alice").resolve("new"))).containsExactly(COPY);
    assertThat(inTmp).containsExactly("1748944801.M500000P4242Q1K" + ID + ".mail.example.com");
    assertThat(names(box("alice").resolve("tmp"))).isEmpty();
  }

  @Test
  void hostNamesAreEscapedInFileNames() throws IOException {
    maildir = new MaildirDelivery(root, "odd/host:name", List.of("example.com"), clock, 4242);
    deliver(envelope("bob@example.org", "alice@example.com"), trace(), "x\r\n");
    assertThat(names(box("alice").resolve("new")))
        .containsExactly("1748944800.M0K" + ID + ".odd\\057host\\072name");
  }

  @Test
  void anAttemptThatMayRepeatFindsTheCopyInNewAndWritesNoOther() throws IOException {
    Envelope env = envelope("bob@example.org", "alice@example.com");
    deliver(ID, env, trace(), "first\r\n", Prior.NONE);

    List<RecipientResult> again = deliver(ID, env, trace(), "first\r\n", Prior.UNKNOWN);

    assertThat(again).singleElement().isInstanceOf(RecipientResult.Delivered.class);
    assertThat(again.get(0).text()).contains("earlier attempt: new/" + COPY);
    assertThat(names(box("alice").resolve("new"))).containsExactly(COPY);
    assertThat(names(box("alice").resolve("tmp"))).isEmpty();
  }

  @Test
  void anAttemptThatMayRepeatFindsTheCopyAMailReaderMovedToCur() throws IOException {
    Envelope env = envelope("bob@example.org", "alice@example.com", "carol@example.com");
    deliver(ID, env, trace(), "x\r\n", Prior.NONE);
    // As mail readers do: cur/NAME:2,FLAGS, and Dovecot's NAME,S=SIZE:2,FLAGS.
    Files.move(
        box("alice").resolve("new").resolve(COPY),
        box("alice").resolve("cur").resolve(COPY + ":2,S"));
    Files.move(
        box("carol").resolve("new").resolve(COPY),
        box("carol").resolve("cur").resolve(COPY + ",S=180:2,RS"));

    assertThat(deliver(ID, env, trace(), "x\r\n", Prior.UNKNOWN))
        .allSatisfy(r -> assertThat(r).isInstanceOf(RecipientResult.Delivered.class));

    assertThat(names(box("alice").resolve("new"))).isEmpty();
    assertThat(names(box("carol").resolve("new"))).isEmpty();
    assertThat(names(box("alice").resolve("cur"))).containsExactly(COPY + ":2,S");
  }

  @Test
  void onlyTheCopyNameItselfCountsInCur() {
    assertThat(MaildirDelivery.isCopy(COPY, COPY)).isTrue();
    assertThat(MaildirDelivery.isCopy(COPY + ":2,", COPY)).isTrue();
    assertThat(MaildirDelivery.isCopy(COPY + ",S=12:2,S", COPY)).isTrue();
    assertThat(MaildirDelivery.isCopy(COPY + "x:2,S", COPY)).isFalse();
    assertThat(MaildirDelivery.isCopy(COPY + ".other:2,S", COPY)).isFalse();
    assertThat(MaildirDelivery.isCopy("1748944800.M0P1Q1.mail.example.com:2,", COPY)).isFalse();
  }

  @Test
  void anAttemptThatMayRepeatWritesTheCopyWhenThereIsNone() throws IOException {
    Envelope env = envelope("bob@example.org", "alice@example.com");
    Files.createDirectories(box("alice").resolve("cur"));
    Files.writeString(box("alice").resolve("cur").resolve("1748944800.M0KOTHER.x:2,S"), "other");

    assertThat(deliver(ID, env, trace(), "x\r\n", Prior.UNKNOWN))
        .singleElement()
        .isInstanceOf(RecipientResult.Delivered.class);
    assertThat(names(box("alice").resolve("new"))).containsExactly(COPY);
  }

  @Test
  void aTakenCopyNameIsNeverOverwritten() throws IOException {
    // Only a queue ID issued twice could do this; the older message must survive.
    Envelope env = envelope("bob@example.org", "alice@example.com");
    Files.createDirectories(box("alice").resolve("new"));
    Files.writeString(box("alice").resolve("new").resolve(COPY), "an older message");

    assertThat(deliver(ID, env, trace(), "the new one\r\n", Prior.NONE))
        .singleElement()
        .isInstanceOf(RecipientResult.Delivered.class);

    assertThat(Files.readString(box("alice").resolve("new").resolve(COPY)))
        .isEqualTo("an older message");
    assertThat(names(box("alice").resolve("new")))
        .containsExactly(COPY, "1748944800.M0P4242Q1.mail.example.com");
    assertThat(
            Files.readString(
                box("alice").resolve("new").resolve("1748944800.M0P4242Q1.mail.example.com")))
        .endsWith("the new one\n");
  }

  @Test
  void recipientsSharingAMaildirGetOneCopy() throws IOException {
    Envelope env =
        envelope("bob@example.org", "dup@example.com", "DUP@example.com", "x@example.com");
    List<RecipientResult> r = deliver(env, trace(), "x\r\n");

    assertThat(r).allSatisfy(x -> assertThat(x).isInstanceOf(RecipientResult.Delivered.class));
    assertThat(r)
        .extracting(RecipientResult::recipient)
        .containsExactlyElementsOf(env.recipients());
    assertThat(names(box("dup").resolve("new"))).containsExactly(COPY);
    assertThat(names(box("x").resolve("new"))).containsExactly(COPY);
  }

  @Test
  void aFailedCopyLeavesNothingInTmpOrNew() throws IOException {
    Envelope env = envelope("bob@example.org", "alice@example.com");
    List<RecipientResult> r =
        maildir.deliver(
            new DeliveryAgent.Delivery(
                ID,
                env,
                trace(),
                env.recipients(),
                () ->
                    new java.io.InputStream() {
                      @Override
                      public int read() throws IOException {
                        throw new IOException("queue file unreadable");
                      }
                    },
                Prior.NONE));

    assertThat(r).singleElement().isInstanceOf(RecipientResult.Deferred.class);
    assertThat(names(box("alice").resolve("tmp"))).isEmpty();
    assertThat(names(box("alice").resolve("new"))).isEmpty();
  }

  @Test
  void localPartsMapToSafeFolderNames() {
    assertThat(MaildirDelivery.folderName("John.Doe")).isEqualTo("john.doe");
    assertThat(MaildirDelivery.folderName("BOB")).isEqualTo(MaildirDelivery.folderName("bob"));
    assertThat(MaildirDelivery.folderName("..")).isEqualTo("%2E.");
    assertThat(MaildirDelivery.folderName(".")).isEqualTo("%2E");
    assertThat(MaildirDelivery.folderName(".hidden")).isEqualTo("%2Ehidden");
    assertThat(MaildirDelivery.folderName("a/b")).isEqualTo("a%2Fb");
    assertThat(MaildirDelivery.folderName("../../etc")).isEqualTo("%2E.%2F..%2Fetc");
    assertThat(MaildirDelivery.folderName("a b%c")).isEqualTo("a%20b%25c");
    assertThat(MaildirDelivery.folderName("Jürgen")).isEqualTo("j%C3%BCrgen");
    assertThat(MaildirDelivery.folderName("")).isEqualTo("%");
    assertThat(MaildirDelivery.folderName("a+tag=x_y-z")).isEqualTo("a+tag=x_y-z");
    assertThat(MaildirDelivery.folderName("[192.0.2.1]")).isEqualTo("%5B192.0.2.1%5D");
  }

  @Test
  void aHostileLocalPartStaysInsideTheRoot() throws IOException {
    deliver(envelope("bob@example.org", "../../x@example.com"), trace(), "x\r\n");
    try (var all = Files.walk(root)) {
      assertThat(all.filter(Files::isRegularFile))
          .allSatisfy(
              p ->
                  assertThat(p.getParent().getParent().getParent())
                      .isEqualTo(root.resolve("example.com")));
    }
  }

  @Test
  void nonLocalDomainsAreDeferredForLackOfARoute() throws IOException {
    List<RecipientResult> r = deliver(envelope("", "bob@example.org"), trace(), "x\r\n");
    assertThat(r).singleElement().isInstanceOf(RecipientResult.Deferred.class);
    assertThat(r.get(0).status()).isEqualTo(EnhancedStatus.TEMP_UNABLE_TO_ROUTE);
    assertThat(Files.exists(root.resolve("example.org"))).isFalse();
  }

  @Test
  void aWriteFailureDefersAndLeavesNothingBehind() throws IOException {
    Files.createDirectories(root.resolve("example.com"));
    Files.writeString(root.resolve("example.com").resolve("alice"), "a file, not a maildir");
    List<RecipientResult> r =
        deliver(envelope("bob@example.org", "alice@example.com"), trace(), "x\r\n");
    assertThat(r).singleElement().isInstanceOf(RecipientResult.Deferred.class);
    assertThat(r.get(0).status()).isEqualTo(EnhancedStatus.TEMP_SYSTEM);
  }

  @Test
  void resultsArePerRecipientInOrder() throws IOException {
    Envelope env = envelope("bob@example.org", "a@example.com", "b@elsewhere.test");
    assertThat(deliver(env, trace(), "x\r\n"))
        .extracting(RecipientResult::recipient)
        .containsExactlyElementsOf(env.recipients());
    assertThat(env.recipients()).extracting(ForwardPath::toString).contains("<a@example.com>");
    assertThat(SpoolFixtures.mailbox("a@example.com").domain()).isEqualTo("example.com");
  }

  // ---- tmp/ cleanup
  // ------------------------------------------------------------------------------

  static final String OURS = "1748944800.M5P4242Q7K" + ID + ".mail.example.com";
  static final String CRASHED = "1748944790.M5P977Q3K" + ID + ".mail.example.com";

  // A file's ctime is the real time and cannot be set, so these tests make files now and run the
  // sweep with a clock that reads hours after the real now (margins of an hour either side).

  private Path tmpFile(String localPart, String name) throws IOException {
    Path tmp = box(localPart).resolve("tmp");
    Files.createDirectories(tmp);
    return Files.writeString(tmp.resolve(name), "partial");
  }

  /** The agent of process {@code pid} with a clock {@code sinceNow} after the real now. */
  private MaildirDelivery sweeper(long pid, Duration sinceNow) {
    return new MaildirDelivery(
        root,
        "mail.example.com",
        List.of("example.com"),
        new FakeClock(Instant.now().plus(sinceNow)),
        pid);
  }

  @Test
  void cleanupRemovesOurFilesOfAnotherProcessAtOnceAndKeepsThisProcesssOwn() throws IOException {
    tmpFile("alice", OURS);
    tmpFile("alice", CRASHED);
    tmpFile("bob", CRASHED);

    assertThat(sweeper(4242, Duration.ZERO).cleanTmp()).isEqualTo(2);

    assertThat(names(box("alice").resolve("tmp"))).containsExactly(OURS);
    assertThat(names(box("bob").resolve("tmp"))).isEmpty();
  }

  @Test
  void otherSoftwaresFilesStayUntilUntouchedFor36Hours() throws IOException {
    // Dovecot's deliver on this host: our host name, another process ID, but not our format.
    tmpFile("alice", "1748944800.M123P977.mail.example.com");
    // Our format from another host sharing the Maildir.
    tmpFile("alice", "1748944800.M5P977Q3K" + ID + ".other.example.com");
    tmpFile("alice", "anything");

    assertThat(sweeper(4242, Duration.ofHours(35)).cleanTmp()).isZero();
    assertThat(names(box("alice").resolve("tmp"))).hasSize(3);

    assertThat(sweeper(4242, Duration.ofHours(37)).cleanTmp()).isEqualTo(3);
    assertThat(names(box("alice").resolve("tmp"))).isEmpty();
  }

  @Test
  void aFileReadOrWrittenLaterIsNotUntouched() throws IOException {
    Path read = tmpFile("alice", "read");
    Path written = tmpFile("alice", "written");
    FileTime later = FileTime.from(Instant.now().plus(Duration.ofHours(10)));
    Files.getFileAttributeView(read, BasicFileAttributeView.class).setTimes(null, later, null);
    Files.getFileAttributeView(written, BasicFileAttributeView.class).setTimes(later, null, null);

    assertThat(sweeper(4242, Duration.ofHours(37)).cleanTmp()).isZero();
    assertThat(sweeper(4242, Duration.ofHours(47)).cleanTmp()).isEqualTo(2);
  }

  @Test
  void aFileWithOldTimesSetOnItIsStillAsRecentAsItsCtime() throws IOException {
    Path f = tmpFile("alice", "unpacked-from-an-archive");
    FileTime old = FileTime.from(Instant.now().minus(Duration.ofDays(30)));
    Files.getFileAttributeView(f, BasicFileAttributeView.class).setTimes(old, old, null);

    assertThat(sweeper(4242, Duration.ZERO).cleanTmp()).isZero();
  }

  @Test
  void thisProcesssOwnFilesGoAfter36HoursToo() throws IOException {
    tmpFile("alice", OURS);

    assertThat(sweeper(4242, Duration.ofHours(37)).cleanTmp()).isEqualTo(1);
  }

  @Test
  void cleanupTouchesOnlyRegularFilesInTmp() throws IOException {
    for (String sub : List.of("new", "cur")) {
      Path f = box("alice").resolve(sub).resolve(CRASHED);
      Files.createDirectories(f.getParent());
      Files.writeString(f, "a message");
    }
    Path dirInTmp = Files.createDirectories(box("alice").resolve("tmp").resolve(CRASHED + "d"));
    Path folderTmp = box("alice").resolve(".Trash").resolve("tmp").resolve(CRASHED);
    Files.createDirectories(folderTmp.getParent());
    Files.writeString(folderTmp, "Dovecot's business");
    Files.writeString(root.resolve("example.com").resolve(CRASHED), "not in a maildir");
    Files.writeString(root.resolve(CRASHED), "not in a maildir");

    assertThat(sweeper(4243, Duration.ofDays(30)).cleanTmp()).isZero();
    assertThat(box("alice").resolve("new").resolve(CRASHED)).exists();
    assertThat(box("alice").resolve("cur").resolve(CRASHED)).exists();
    assertThat(dirInTmp).exists();
    assertThat(folderTmp).exists();
  }

  @Test
  void cleanupOfARootNotYetCreatedFindsNothing() {
    maildir =
        new MaildirDelivery(
            root.resolve("absent"), "mail.example.com", List.of("example.com"), clock, 4242);
    assertThat(maildir.cleanTmp()).isZero();
  }

  @Test
  void whatADeliveryLeavesInTmpIsRecognisedAfterItsProcessIsGone() throws IOException {
    List<String> inTmp = new java.util.ArrayList<>();
    Envelope env = envelope("bob@example.org", "alice@example.com");
    maildir.deliver(
        new DeliveryAgent.Delivery(
            ID,
            env,
            trace(),
            env.recipients(),
            () -> {
              inTmp.addAll(names(box("alice").resolve("tmp")));
              return new ByteArrayInputStream("x\r\n".getBytes(StandardCharsets.UTF_8));
            },
            Prior.NONE));
    // As if process 4242 had been killed while writing it:
    tmpFile("alice", inTmp.get(0));

    assertThat(maildir.cleanTmp()).as("process 4242 itself").isZero();
    MaildirDelivery restarted =
        new MaildirDelivery(root, "mail.example.com", List.of("example.com"), clock, 4243);
    assertThat(restarted.cleanTmp()).isEqualTo(1);
    assertThat(names(box("alice").resolve("tmp"))).isEmpty();
    assertThat(names(box("alice").resolve("new"))).containsExactly(COPY);
  }
}
