package org.mxtrap.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;

/**
 * The STARTTLS policy on a server engine made as {@link SocketTransport#startTls()} makes its
 * socket, and real handshakes against it from a JSSE client, in memory.
 */
class TlsContextsTest {
  static {
    // As Main does: JSSE reads the switch at the first server-side handshake in this JVM, and no
    // test before this class makes one.
    TlsContexts.refuseClientInitiatedRenegotiation();
  }

  private static final SSLContext RSA = context("rsa");
  private static final SSLContext EC = context("ec");

  @Test
  void aServerEngineGetsTheProtocolsAndSuitesOfThePolicyInItsOrder() {
    SSLEngine e = serverEngine(RSA);
    assertThat(e.getEnabledProtocols()).containsExactly("TLSv1.3", "TLSv1.2");
    assertThat(e.getEnabledCipherSuites())
        .containsExactlyElementsOf(TlsContexts.CIPHER_SUITES)
        .allSatisfy(
            suite ->
                assertThat(suite)
                    .doesNotContain("CBC")
                    .doesNotStartWith("TLS_RSA_")
                    .containsAnyOf("_GCM_", "_CHACHA20_POLY1305_")
                    .matches("TLS_(AES|CHACHA20)_.*|TLS_(ECDHE|DHE)_.*"));
    assertThat(e.getSSLParameters().getUseCipherSuitesOrder()).isTrue();
  }

  @Test
  void everySuiteOfThePolicyIsOneTheJdkSupports() {
    // A misspelt or withdrawn name would be enabled silently and never negotiated.
    assertThat(RSA.getSupportedSSLParameters().getCipherSuites())
        .contains(TlsContexts.CIPHER_SUITES.toArray(String[]::new));
  }

  @Test
  void sessionsForResumptionAreBoundedInNumberAndTime() {
    assertThat(RSA.getServerSessionContext().getSessionCacheSize()).isEqualTo(2048);
    assertThat(RSA.getServerSessionContext().getSessionTimeout()).isEqualTo(3600);
  }

  @Test
  void aTls12SessionIsResumed() throws Exception {
    // A full handshake makes a new random session ID; a resumed one keeps the first one's.
    SSLContext clientContext = trustingClientContext();
    EnginePair first = new EnginePair(RSA, client(clientContext, "TLSv1.2"));
    first.handshake();
    EnginePair again = new EnginePair(RSA, client(clientContext, "TLSv1.2"));
    again.handshake();
    assertThat(again.server.getSession().getId()).isEqualTo(first.server.getSession().getId());
  }

  @Test
  void aDefaultClientGetsTls13() throws Exception {
    EnginePair p = new EnginePair(RSA, client());
    p.handshake();
    assertThat(p.server.getSession().getProtocol()).isEqualTo("TLSv1.3");
    assertThat(p.server.getSession().getCipherSuite()).isEqualTo("TLS_AES_256_GCM_SHA384");
  }

  @Test
  void theServerOrderWinsOverTheClientOrder() throws Exception {
    EnginePair tls12 =
        new EnginePair(
            RSA,
            client(
                "TLSv1.2",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"));
    tls12.handshake();
    assertThat(tls12.server.getSession().getCipherSuite())
        .isEqualTo("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");

    EnginePair tls13 =
        new EnginePair(RSA, client("TLSv1.3", "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"));
    tls13.handshake();
    assertThat(tls13.server.getSession().getCipherSuite()).isEqualTo("TLS_AES_256_GCM_SHA384");
  }

  @Test
  void anEcKeyIsServedWithEcdsaSuites() throws Exception {
    EnginePair p = new EnginePair(EC, client("TLSv1.2", TlsContexts.CIPHER_SUITES));
    p.handshake();
    assertThat(p.server.getSession().getCipherSuite())
        .isEqualTo("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
  }

  @Test
  void aTls12ClientWithoutEcdheGcmGetsDheGcm() throws Exception {
    EnginePair p =
        new EnginePair(
            RSA,
            client(
                "TLSv1.2",
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"));
    p.handshake();
    assertThat(p.server.getSession().getCipherSuite())
        .isEqualTo("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");
  }

  @Test
  void aClientWithOnlyCbcSuitesIsRefused() {
    EnginePair p =
        new EnginePair(
            RSA,
            client(
                "TLSv1.2",
                "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"));
    assertThatThrownBy(p::handshake)
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining("no cipher suites in common");
  }

  @Test
  void clientInitiatedRenegotiationEndsTheConnection() throws Exception {
    EnginePair p = new EnginePair(RSA, client("TLSv1.2", TlsContexts.CIPHER_SUITES));
    p.handshake();
    p.client.beginHandshake();
    assertThatThrownBy(p::pump)
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining("Client initiated renegotiation is not allowed");
  }

  private static SSLEngine serverEngine(SSLContext ctx) {
    SSLEngine e = ctx.createSSLEngine();
    e.setUseClientMode(false);
    e.setSSLParameters(TlsContexts.serverParameters(e.getSSLParameters()));
    return e;
  }

  private static SSLEngine client(String protocol, List<String> suites) {
    return client(protocol, suites.toArray(String[]::new));
  }

  /** A client limited to {@code protocol} and those of {@code suites} this JDK supports. */
  private static SSLEngine client(String protocol, String... suites) {
    SSLEngine e = client();
    e.setEnabledProtocols(new String[] {protocol});
    List<String> supported = Arrays.asList(e.getSupportedCipherSuites());
    e.setEnabledCipherSuites(
        Arrays.stream(suites).filter(supported::contains).toArray(String[]::new));
    return e;
  }

  /** A client with the JDK's defaults that trusts any certificate. */
  private static SSLEngine client() {
    return client(trustingClientContext());
  }

  private static SSLEngine client(SSLContext clientContext, String protocol) {
    SSLEngine e = client(clientContext);
    e.setEnabledProtocols(new String[] {protocol});
    return e;
  }

  private static SSLEngine client(SSLContext clientContext) {
    // Always the same peer: the client caches its sessions by host and port.
    SSLEngine e = clientContext.createSSLEngine("mail.example.test", 25);
    e.setUseClientMode(true);
    return e;
  }

  private static SSLContext trustingClientContext() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new TrustingAnything()}, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static SSLContext context(String name) {
    try {
      return TlsContexts.fromPem(resource(name + "-cert.pem"), resource(name + "-key.pem"));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(TlsContextsTest.class.getResource("/tls/" + name).toURI());
  }

  private static final class TrustingAnything implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** A server engine under the policy and a client engine, joined by two in-memory buffers. */
  private static final class EnginePair {
    final SSLEngine server;
    final SSLEngine client;
    private final ByteBuffer toServer = ByteBuffer.allocate(1 << 17);
    private final ByteBuffer toClient = ByteBuffer.allocate(1 << 17);
    private final ByteBuffer plaintext = ByteBuffer.allocate(1 << 17);

    EnginePair(SSLContext serverContext, SSLEngine client) {
      this.server = serverEngine(serverContext);
      this.client = client;
    }

    void handshake() throws SSLException {
      client.beginHandshake();
      server.beginHandshake();
      pump();
      // Application data both ways, which also carries TLS 1.3's post-handshake messages.
      send(client, toServer, "EHLO client.test\r\n");
      send(server, toClient, "250 mail.example.test\r\n");
      pump();
      assertThat(client.getHandshakeStatus())
          .isEqualTo(SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING);
      assertThat(server.getHandshakeStatus())
          .isEqualTo(SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING);
    }

    /** Runs both engines until neither produces or consumes anything more. */
    void pump() throws SSLException {
      for (int round = 0; round < 100; round++) {
        boolean progress = step(client, toClient, toServer);
        progress |= step(server, toServer, toClient);
        if (!progress) {
          return;
        }
      }
      throw new AssertionError("the engines never settle");
    }

    private boolean step(SSLEngine e, ByteBuffer in, ByteBuffer out) throws SSLException {
      runTasks(e);
      SSLEngineResult wrapped = e.wrap(ByteBuffer.allocate(0), out);
      runTasks(e);
      in.flip();
      SSLEngineResult unwrapped;
      try {
        plaintext.clear();
        unwrapped = e.unwrap(in, plaintext);
      } finally {
        in.compact();
      }
      runTasks(e);
      return wrapped.bytesProduced() > 0 || unwrapped.bytesConsumed() > 0;
    }

    private static void send(SSLEngine e, ByteBuffer out, String text) throws SSLException {
      e.wrap(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)), out);
    }

    private static void runTasks(SSLEngine e) {
      for (Runnable task = e.getDelegatedTask(); task != null; task = e.getDelegatedTask()) {
        task.run();
      }
    }
  }
}
