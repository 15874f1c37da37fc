package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The demo layout end to end with real clients: swaks and Jakarta Mail (Angus) send, the message
 * lands in the recipient's Maildir with a Received header naming the client, the local address, the
 * role and the queue ID. STARTTLS with swaks; PIPELINING with swaks.
 */
class DemoLayoutIT extends ServerPerClass {
  @Override
  TestLayout layout(Path dir) throws Exception {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Process openssl =
        new ProcessBuilder(
                Programs.require("openssl", "openssl").toString(),
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=mail.example.test",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString())
            .redirectErrorStream(true)
            .start();
    openssl.getInputStream().readAllBytes();
    assertThat(openssl.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(openssl.exitValue()).isZero();
    return new TestLayout(dir).tls(cert, key);
  }

  @Test
  void swaksMessageLandsInMaildirWithReceivedHeader() throws Exception {
    Swaks.Result r =
        Swaks.run(
            layout.primary,
            "--to",
            "alice@example.test",
            "--from",
            "sender@client.test",
            "--header",
            "Subject: hello from swaks",
            "--body",
            "swaks body line");
    assertThat(r.exitCode()).as(r.transcript()).isZero();
    assertThat(r.transcript()).containsPattern("<[-~]  250 2\\.0\\.0 .*queued as \\S+");
    List<Path> inbox = SmtpHarness.awaitMessages(layout.inbox("alice"), 1, Duration.ofSeconds(20));
    assertThat(inbox).hasSize(1);
    String msg = SmtpHarness.read(inbox.get(0));
    String queueId = r.transcript().replaceAll("(?s).*queued as (\\S+).*", "$1");
    assertThat(msg).startsWith("Return-Path: <sender@client.test>\n");
    assertThat(msg).containsPattern("Received: from client\\.test \\(.*\\[127\\.0\\.0\\.1\\]");
    assertThat(msg).contains("by mail.example.test");
    assertThat(msg).contains("[127.0.0.1]:" + layout.primary);
    assertThat(msg).contains("primary, MX 10");
    assertThat(msg).contains("with ESMTP");
    assertThat(msg).contains("id " + queueId);
    assertThat(msg).contains("alice@example.test");
    assertThat(msg).contains("Subject: hello from swaks");
    assertThat(msg).contains("swaks body line");
  }

  @Test
  void aFallbackToATrapIsServedAndRecordsItsRole() throws Exception {
    // A sender that tried the primary moments ago (here: connected and left) is excused on the
    // traps, armed or not.
    try (RawSmtp walk = new RawSmtp(layout.primary)) {
      assertThat(walk.reply()).startsWith("220 ");
    }
    Swaks.Result r =
        Swaks.run(layout.trap40, "--to", "carol@example.test", "--from", "s@client.test");
    assertThat(r.exitCode()).as(r.transcript()).isZero();
    List<Path> inbox = SmtpHarness.awaitMessages(layout.inbox("carol"), 1, Duration.ofSeconds(20));
    assertThat(inbox).hasSize(1);
    String msg = SmtpHarness.read(inbox.get(0));
    assertThat(msg).contains("[127.0.0.1]:" + layout.trap40).contains("trap, MX 40");
  }

  @Test
  void starttlsWithSwaks() throws Exception {
    Swaks.Result r =
        Swaks.run(layout.primary, "-tls", "--to", "dave@example.test", "--from", "s@client.test");
    assertThat(r.exitCode()).as(r.transcript()).isZero();
    assertThat(r.transcript()).contains("250-STARTTLS").contains("220 2.0.0");
    List<Path> inbox = SmtpHarness.awaitMessages(layout.inbox("dave"), 1, Duration.ofSeconds(20));
    assertThat(inbox).hasSize(1);
    String msg = SmtpHarness.read(inbox.get(0));
    assertThat(msg).contains("with ESMTPS").containsPattern("TLSv1\\.[23]");
  }

  @Test
  void pipeliningWithSwaks() throws Exception {
    Swaks.Result r =
        Swaks.run(
            layout.primary,
            "--pipeline",
            "--to",
            "erin@example.test,frank@example.test",
            "--from",
            "s@client.test");
    assertThat(r.exitCode()).as(r.transcript()).isZero();
    assertThat(r.transcript()).contains("250-PIPELINING");
    assertThat(SmtpHarness.awaitMessages(layout.inbox("erin"), 1, Duration.ofSeconds(20)))
        .hasSize(1);
    assertThat(SmtpHarness.awaitMessages(layout.inbox("frank"), 1, Duration.ofSeconds(20)))
        .hasSize(1);
  }

  @Test
  void jakartaMailSends() throws Exception {
    Properties props = new Properties();
    props.put("mail.smtp.host", "127.0.0.1");
    props.put("mail.smtp.port", Integer.toString(layout.primary));
    props.put("mail.smtp.localhost", "angus.client.test");
    props.put("mail.smtp.connectiontimeout", "10000");
    props.put("mail.smtp.timeout", "10000");
    Session session = Session.getInstance(props);
    MimeMessage m = new MimeMessage(session);
    m.setFrom(new InternetAddress("angus@client.test"));
    m.setRecipient(Message.RecipientType.TO, new InternetAddress("grace@example.test"));
    m.setSubject("from Jakarta Mail", "UTF-8");
    m.setText("Grüße aus Jakarta Mail\n", "UTF-8");
    Transport.send(m);
    List<Path> inbox = SmtpHarness.awaitMessages(layout.inbox("grace"), 1, Duration.ofSeconds(20));
    assertThat(inbox).hasSize(1);
    String msg = SmtpHarness.read(inbox.get(0));
    assertThat(msg)
        .contains("Received: from angus.client.test")
        .contains("Subject: from Jakarta Mail");
    assertThat(Files.size(inbox.get(0))).isPositive();
  }
}
