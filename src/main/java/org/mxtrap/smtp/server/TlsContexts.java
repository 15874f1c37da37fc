package org.mxtrap.smtp.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSessionContext;

/**
 * Builds the server's STARTTLS context from PEM files, as mail administrators have them, and holds
 * the TLS policy every STARTTLS session gets.
 *
 * <p>The policy is chosen for an MX, where TLS is opportunistic (RFC 3207, RFC 7435): a sender that
 * cannot complete the handshake reconnects and sends in plaintext. So a suite is dropped only when
 * its weakness outweighs what it buys. Kept: TLS 1.3, and TLS 1.2 with forward-secret AEAD suites,
 * by ECDHE and also by finite-field DHE (2048-bit RFC 7919 groups) for TLS 1.2 stacks that have
 * AES-GCM but not with ECDHE; the TLS 1.2 suites of Mozilla's "intermediate" profile (version 5).
 * Dropped: TLS 1.0 and 1.1 (RFC 8996; the JDK disables them anyway), RSA key transport (no forward
 * secrecy, Bleichenbacher oracles; the JDK disables it too), and the CBC suites of TLS 1.2. CBC in
 * TLS is MAC-then-encrypt, the source of LUCKY13 and its successors; JSSE mitigates those, but CBC
 * suites buy almost no one: the TLS stacks that speak TLS 1.2 in mail servers (OpenSSL from 1.0.1,
 * GnuTLS 3, NSS, Schannel, Java 8) all have AES-GCM, so the only sender left without a suite is one
 * that implemented TLS 1.2 without any AEAD suite, far rarer than the TLS 1.0-only senders the JDK
 * already turns away. This is stricter than Postfix's opportunistic default ("medium", which keeps
 * CBC and TLS 1.0) for that reason.
 *
 * <p>Client-initiated renegotiation is refused (see {@link #refuseClientInitiatedRenegotiation}):
 * TLS 1.2 lets a client ask for a new handshake on an open connection as often as it likes, each
 * one a private-key operation for the server and a few bytes for the client (CVE-2011-1473). SMTP
 * never needs it, and TLS 1.3 has none.
 *
 * <p>Session resumption stays on: TLS 1.2 by ticket (RFC 5077) or session ID, TLS 1.3 by ticket.
 * Sending MTAs cache sessions (Postfix's {@code smtp_tls_session_cache_database}) and come back
 * often, and a resumed handshake spares the server its private-key operation. Tickets cost the
 * server no memory; a session ID does (about 2.7 KB a session, measured on JDK 25), and any client
 * that asks for no ticket adds one, so the cache is bounded well below the JDK's 20,480 sessions
 * for 24 hours: {@link #SESSION_CACHE_SIZE} for {@link #SESSION_LIFETIME}, which also bounds how
 * long a ticket is honoured.
 */
public final class TlsContexts {
  /** The protocols, newest first. */
  static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /**
   * The cipher suites in the server's order of preference: forward secrecy and AEAD only. ECDSA
   * suites serve an EC key, RSA suites an RSA key; JSSE skips the ones the key cannot sign for.
   */
  static final List<String> CIPHER_SUITES =
      List.of(
          // TLS 1.3: every suite it defines for general use.
          "TLS_AES_256_GCM_SHA384",
          "TLS_AES_128_GCM_SHA256",
          "TLS_CHACHA20_POLY1305_SHA256",
          // TLS 1.2 with ECDHE.
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          // TLS 1.2 with DHE, last: a slower key exchange, for senders that have nothing above.
          "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");

  /** Sessions kept for resumption by ID, the least recently used dropped first: about 5.5 MB. */
  static final int SESSION_CACHE_SIZE = 2048;

  /** How long a session may be resumed: Postfix's {@code smtpd_tls_session_cache_timeout}. */
  static final Duration SESSION_LIFETIME = Duration.ofHours(1);

  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
  private static final char[] NO_PASSWORD = new char[0];

  private TlsContexts() {}

  /**
   * Makes every server-side TLS connection in this JVM answer a client's renegotiation request with
   * a fatal {@code handshake_failure} alert, which ends the connection. JSSE has no per-connection
   * switch for it: it reads the system property {@code jdk.tls.rejectClientInitiatedRenegotiation}
   * once, when the first server-side handshake in the JVM begins. So this must run before any
   * server-side handshake; {@code Main} calls it before anything else.
   */
  public static void refuseClientInitiatedRenegotiation() {
    System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
  }

  /**
   * {@code defaults} (a socket's or engine's own parameters) with the server policy applied: its
   * protocols, its cipher suites, and the server's order of preference over the client's.
   */
  static SSLParameters serverParameters(SSLParameters defaults) {
    defaults.setProtocols(PROTOCOLS.toArray(String[]::new));
    defaults.setCipherSuites(CIPHER_SUITES.toArray(String[]::new));
    defaults.setUseCipherSuitesOrder(true);
    return defaults;
  }

  /**
   * The server context for STARTTLS from PEM key material, with the policy above.
   *
   * @param certChain PEM certificates, leaf first
   * @param key an unencrypted PEM private key: PKCS#8 {@code PRIVATE KEY} (RSA, EC, Ed25519) or
   *     PKCS#1 {@code RSA PRIVATE KEY}
   * @throws IOException naming the file and what is wrong with it
   */
  public static SSLContext fromPem(Path certChain, Path key) throws IOException {
    try {
      List<? extends Certificate> chain;
      try (var in = Files.newInputStream(certChain)) {
        chain = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
      }
      if (chain.isEmpty()) {
        throw new IOException(certChain + ": no certificate found");
      }
      PrivateKey pk = readKey(key);
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("mxtrap", pk, NO_PASSWORD, chain.toArray(Certificate[]::new));
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, NO_PASSWORD);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      SSLSessionContext sessions = ctx.getServerSessionContext();
      sessions.setSessionCacheSize(SESSION_CACHE_SIZE);
      sessions.setSessionTimeout((int) SESSION_LIFETIME.toSeconds());
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IOException(
          "TLS key material " + certChain + ", " + key + ": " + e.getMessage(), e);
    }
  }

  private static PrivateKey readKey(Path file) throws IOException, GeneralSecurityException {
    Matcher m = PEM.matcher(Files.readString(file, StandardCharsets.US_ASCII));
    while (m.find()) {
      String type = m.group(1);
      byte[] der = Base64.getMimeDecoder().decode(m.group(2));
      switch (type) {
        case "PRIVATE KEY" -> {
          return pkcs8(der, file);
        }
        case "RSA PRIVATE KEY" -> {
          return KeyFactory.getInstance("RSA")
              .generatePrivate(new PKCS8EncodedKeySpec(wrapRsa(der)));
        }
        case "ENCRYPTED PRIVATE KEY" ->
            throw new IOException(file + ": the key is encrypted; mxtrap needs it unencrypted");
        default -> {
          // other blocks (e.g. EC PARAMETERS) are skipped
        }
      }
    }
    throw new IOException(
        file
            + ": no PKCS#8 'PRIVATE KEY' or 'RSA PRIVATE KEY' found (convert with: openssl pkcs8"
            + " -topk8 -nocrypt -in KEY -out KEY.pk8)");
  }

  private static PrivateKey pkcs8(byte[] der, Path file) throws IOException {
    for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException tryNext) {
        // not this algorithm
      }
    }
    throw new IOException(file + ": unsupported private key algorithm");
  }

  /** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo (RFC 5208) so the JDK can read it. */
  private static byte[] wrapRsa(byte[] pkcs1) {
    byte[] algorithm = {
      0x30,
      0x0d,
      0x06,
      0x09,
      0x2a,
      (byte) 0x86,
      0x48,
      (byte) 0x86,
      (byte) 0xf7,
      0x0d,
      0x01,
      0x01,
      0x01,
      0x05,
      0x00
    };
    byte[] version = {0x02, 0x01, 0x00};
    byte[] octets = derElement(0x04, pkcs1);
    byte[] body = new byte[version.length + algorithm.length + octets.length];
    System.arraycopy(version, 0, body, 0, version.length);
    System.arraycopy(algorithm, 0, body, version.length, algorithm.length);
    System.arraycopy(octets, 0, body, version.length + algorithm.length, octets.length);
    return derElement(0x30, body);
  }

  private static byte[] derElement(int tag, byte[] content) {
    int n = content.length;
    byte[] len;
    if (n < 0x80) {
      len = new byte[] {(byte) n};
    } else if (n < 0x100) {
      len = new byte[] {(byte) 0x81, (byte) n};
    } else if (n < 0x10000) {
      len = new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n};
    } else {
      len = new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
    }
    byte[] out = new byte[1 + len.length + n];
    out[0] = (byte) tag;
    System.arraycopy(len, 0, out, 1, len.length);
    System.arraycopy(content, 0, out, 1 + len.length, n);
    return out;
  }
}
