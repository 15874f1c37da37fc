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
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.TraceInfo;
import org.mxtrap.queue.FakeClock;
import org.mxtrap.queue.SpoolFixtures;

class MaildirDeliveryTest {
  @TempDir Path root;
  final FakeClock clock = new FakeClock();
  MaildirDelivery maildir;

  @org.junit.jupiter.api.BeforeEach
  void setUp() {
    maildir = new MaildirDelivery(root, "mail.example.com", List.of("example.com"), clock, 4242);
  }

  private List<RecipientResult> deliver(Envelope env, TraceInfo trace, String content)
      throws IOException {
    return maildir.deliver(
        new DeliveryAgent.Delivery(
            "1JWTKQJ80000H",
            env,
            trace,
            env.recipients(),
            () -> new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8))));
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
    assertThat(files).singleElement().asString().isEqualTo("1748944800.M0P4242Q1.mail.example.com");
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
  void uniqueNamesNeverRepeat() throws IOException {
    for (int i = 0; i < 3; i++) {
      deliver(envelope("bob@example.org", "alice@example.com"), trace(), "x\r\n");
    }
    assertThat(names(root.resolve("example.com").resolve("alice").resolve("new")))
        .containsExactly(
            "1748944800.M0P4242Q1.mail.example.com",
            "1748944800.M0P4242Q2.mail.example.com",
            "1748944800.M0P4242Q3.mail.example.com");
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
}
