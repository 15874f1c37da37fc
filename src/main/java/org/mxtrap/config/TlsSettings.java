package org.mxtrap.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * STARTTLS key material.
 *
 * @param cert PEM file with the certificate chain, leaf first
 * @param key PEM file with the private key (PKCS#8 {@code PRIVATE KEY} or PKCS#1 {@code RSA PRIVATE
 *     KEY}), unencrypted
 */
public record TlsSettings(Path cert, Path key) {

  static final Key<TlsSettings, Path> CERT = Key.of("cert", Type.readableFile(), null, s -> null);
  static final Key<TlsSettings, Path> KEY = Key.of("key", Type.readableFile(), null, s -> null);

  /** Both files or neither: {@code tls: {}} is no STARTTLS, like no {@code tls} key. */
  static final Section<TlsSettings> SECTION =
      Section.of("tls", List.of(CERT, KEY), TlsSettings::build)
          .describedAs(s -> "cert=" + s.cert() + " key=" + s.key() + " (key content not shown)");

  /** How the effective configuration shows {@code tls}, which may be absent. */
  static String describe(@Nullable TlsSettings tls) {
    return tls == null ? "off (no STARTTLS)" : SECTION.describe().apply(tls);
  }

  private static @Nullable TlsSettings build(Values v) {
    Field cert = v.field(CERT);
    Field key = v.field(KEY);
    if (cert == null && key == null) {
      return null;
    }
    if (cert == null || key == null) {
      Field given = Objects.requireNonNull(cert == null ? key : cert); // not both: see above
      String missing = cert == null ? CERT.name() : KEY.name();
      v.reader()
          .error(
              NodeReader.line(given.key()),
              "tls." + missing,
              "required when " + given.path() + " is given (STARTTLS needs both)");
      return null;
    }
    Path c = v.get(CERT);
    Path k = v.get(KEY);
    return c == null || k == null ? null : new TlsSettings(c, k);
  }
}
