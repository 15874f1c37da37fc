package org.mxtrap.delivery;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The outbound SMTP/LMTP client: opens {@link ClientSession}s to one address at a time. A delivery
 * agent opens a session to a host (relay mode: the one relay; MX mode: each address in turn until
 * one opens), sends one or more messages through it, and closes it.
 *
 * <p>Threading: {@link #open} may be called from many threads at once; each session is used by one
 * thread at a time. {@link #close()} stops the timer that bounds writes; sessions still open then
 * lose their write deadlines, so close the client after its sessions.
 */
public final class SmtpClient implements SessionSource, AutoCloseable {

  /**
   * What every session of this client does.
   *
   * @param heloName our host name, the EHLO/HELO/LHLO argument
   * @param protocol SMTP, or LMTP to a mail store
   */
  public record Settings(
      String heloName, Protocol protocol, TlsPolicy tls, ClientTimeouts timeouts) {
    public Settings {
      Objects.requireNonNull(heloName, "heloName");
      Objects.requireNonNull(protocol, "protocol");
      Objects.requireNonNull(tls, "tls");
      Objects.requireNonNull(timeouts, "timeouts");
    }
  }

  private final Settings settings;
  private final SSLContext tlsContext;
  private final ScheduledThreadPoolExecutor timer;

  public SmtpClient(Settings settings) {
    this.settings = settings;
    this.tlsContext = trustingAnyCertificate();
    this.timer =
        new ScheduledThreadPoolExecutor(
            1, Thread.ofPlatform().daemon().name("smtp-client-alarm").factory());
    timer.setRemoveOnCancelPolicy(true);
  }

  /**
   * Connects to {@code address}, reads the greeting, introduces us and starts TLS per the policy.
   * Never throws for what the peer or the network does: that is a {@link Connect.Failed}.
   *
   * @param host the peer's name, for {@code relay} in results and for SNI
   */
  @Override
  public Connect open(String host, InetSocketAddress address) {
    try {
      return ClientSession.open(this, host, address, settings.tls());
    } catch (ClientSession.TlsHandshakeFailed e) {
      if (settings.tls() == TlsPolicy.REQUIRED) {
        return e.failure();
      }
      // Opportunistic: the handshake failed before any mail data was sent. That connection is in
      // an unknown TLS state, so a new one delivers in plaintext, as Postfix does for "may".
      try {
        return ClientSession.open(this, host, address, TlsPolicy.OFF);
      } catch (ClientSession.TlsHandshakeFailed impossible) {
        throw new IllegalStateException("no handshake is made without TLS", impossible);
      }
    }
  }

  Settings settings() {
    return settings;
  }

  SSLContext tlsContext() {
    return tlsContext;
  }

  ScheduledExecutorService timer() {
    return timer;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  /**
   * TLS that takes any server certificate: see {@link TlsPolicy} for why an MTA without DANE or
   * MTA-STS does not verify. The JDK's defaults choose the protocols (TLS 1.2 and 1.3).
   */
  private static SSLContext trustingAnyCertificate() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new AnyServerCertificate()}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no TLS", e);
    }
  }

  /**
   * Accepts every server certificate. An extended trust manager, so that JSSE does not wrap it in
   * its own checks (which would refuse, say, an expired or SHA-1 certificate).
   */
  private static final class AnyServerCertificate extends X509ExtendedTrustManager {
    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("a client trusts no clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("a client trusts no clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("a client trusts no clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
