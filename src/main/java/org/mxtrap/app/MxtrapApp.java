package org.mxtrap.app;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.mxtrap.config.Limits;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.config.TlsSettings;
import org.mxtrap.delivery.MaildirDelivery;
import org.mxtrap.delivery.QueueRunner;
import org.mxtrap.queue.Spool;
import org.mxtrap.smtp.ClientFacts;
import org.mxtrap.smtp.SessionSettings;
import org.mxtrap.smtp.SmtpSession;
import org.mxtrap.smtp.server.Connection;
import org.mxtrap.smtp.server.SmtpServer;
import org.mxtrap.smtp.server.TlsContexts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running mxtrap host: the spool, the queue runner with its delivery agent, and the SMTP
 * listeners, started in that order (so recovered mail starts moving before new mail arrives) and
 * stopped in the reverse order. Not reusable: start once, stop once.
 */
final class MxtrapApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("master");

  private final Spool spool;
  private final QueueRunner runner;
  private final SmtpServer server;

  private MxtrapApp(Spool spool, QueueRunner runner, SmtpServer server) {
    this.spool = spool;
    this.runner = runner;
    this.server = server;
  }

  static MxtrapApp start(MxtrapConfig config, Clock clock) throws IOException {
    Files.createDirectories(config.dataDir());
    SSLContext tls = null;
    TlsSettings t = config.tls();
    if (t != null) {
      tls = TlsContexts.fromPem(t.cert(), t.key());
    }
    Spool spool = Spool.open(config.dataDir().resolve("queue"), clock);
    MaildirDelivery maildir =
        new MaildirDelivery(config.dataDir().resolve("mail"), config.hostname(), config.domains());
    QueueRunner runner = new QueueRunner(spool, maildir, config.queue(), clock, config.hostname());
    SessionSettings settings = SessionSettings.of(config);
    Limits limits = config.limits();
    SmtpServer server =
        new SmtpServer(
            config.listen(),
            config.layout(),
            config.hostname(),
            limits.maxConnections(),
            limits.maxPerIp(),
            limits.commandTimeout(),
            tls,
            (Connection c) ->
                new SmtpSession(
                        settings,
                        new ClientFacts(c.remote(), c.local(), c.entry(), c.id(), null),
                        spool,
                        clock,
                        c.transport())
                    .run());
    try {
      runner.start();
      server.start();
    } catch (IOException | RuntimeException e) {
      runner.close();
      spool.close();
      throw e;
    }
    log.info("started: {} messages in the queue", spool.size());
    return new MxtrapApp(spool, runner, server);
  }

  List<InetSocketAddress> boundAddresses() {
    return server.boundAddresses();
  }

  /**
   * Stops accepting, lets sessions finish for up to {@code grace}, then stops delivery and closes
   * the spool. Mail that was acknowledged is on disk and is delivered after the next start.
   */
  void stop(Duration grace) {
    log.info("stopping: no new connections; waiting up to {}s for sessions", grace.toSeconds());
    int cut = server.shutdown(grace);
    if (cut > 0) {
      log.warn("stopping: closed {} sessions still open after {}s", cut, grace.toSeconds());
    }
    runner.close();
    spool.close();
    log.info("stopped");
  }

  @Override
  public void close() {
    stop(Duration.ZERO);
  }
}
