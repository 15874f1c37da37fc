package org.mxtrap.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A certificate authority of the test's own, made by the openssl CLI in a directory of its own: a
 * self-signed P-256 CA valid for two days, which issues server certificates. Files: {@code ca.pem}
 * (the CA certificate, what a client trusts), {@code ca.key}, and per issued certificate {@code
 * NAME.pem} and {@code NAME.key} (unencrypted PEM, as redis-server reads them).
 */
public final class PrivateCa {
  /** A certificate issued by this CA and its private key. */
  public record Issued(Path cert, Path key) {}

  private final Path openssl;
  private final Path dir;

  private PrivateCa(Path openssl, Path dir) {
    this.openssl = openssl;
    this.dir = dir;
  }

  /** Makes a CA named {@code CN=name} in {@code dir} (created). */
  public static PrivateCa create(Path dir, String name) throws IOException, InterruptedException {
    PrivateCa ca = new PrivateCa(Programs.require("openssl", "openssl"), dir);
    Files.createDirectories(dir);
    ca.run(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=" + name,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout",
        ca.dir.resolve("ca.key").toString(),
        "-out",
        ca.certificate().toString());
    return ca;
  }

  /** The CA's certificate (PEM), for a client's trust: {@code state.redis.ca_file}. */
  public Path certificate() {
    return dir.resolve("ca.pem");
  }

  /**
   * Issues a server certificate for {@code names} (subjectAltName entries such as {@code
   * IP:127.0.0.1} or {@code DNS:localhost}), stored as {@code file.pem} and {@code file.key}.
   */
  public Issued issue(String file, String... names) throws IOException, InterruptedException {
    Path key = dir.resolve(file + ".key");
    Path csr = dir.resolve(file + ".csr");
    Path cert = dir.resolve(file + ".pem");
    Path ext = dir.resolve(file + ".ext");
    Files.writeString(
        ext,
        "basicConstraints=CA:FALSE\n"
            + "extendedKeyUsage=serverAuth,clientAuth\n"
            + "subjectAltName="
            + String.join(",", names)
            + "\n",
        StandardCharsets.US_ASCII);
    run(
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=" + file,
        "-keyout",
        key.toString(),
        "-out",
        csr.toString());
    run(
        "x509",
        "-req",
        "-in",
        csr.toString(),
        "-days",
        "2",
        "-CA",
        certificate().toString(),
        "-CAkey",
        dir.resolve("ca.key").toString(),
        "-CAcreateserial",
        "-extfile",
        ext.toString(),
        "-out",
        cert.toString());
    return new Issued(cert, key);
  }

  /** A client's TLS context that trusts this CA only, for the fixtures' own calls. */
  public SSLContext clientContext() throws IOException {
    try (InputStream in = Files.newInputStream(certificate())) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      Certificate ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
      store.setCertificateEntry("ca", ca);
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  private void run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(openssl.toString()));
    command.addAll(List.of(args));
    Path log = dir.resolve("openssl.log");
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor();
      throw new IOException("openssl " + args[0] + " did not finish:\n" + Files.readString(log));
    }
    if (p.exitValue() != 0) {
      throw new IOException("openssl " + String.join(" ", args) + ":\n" + Files.readString(log));
    }
  }
}
