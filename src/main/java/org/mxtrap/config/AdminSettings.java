package org.mxtrap.config;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import org.mxtrap.core.Addresses;

/**
 * The admin HTTP API (PRODUCT.md {@code admin}).
 *
 * @param bind where it listens; loopback unless {@code allowRemote}
 * @param allowRemote {@code allow_remote: true}: the operator asked for a non-loopback bind
 * @param metrics {@code metrics}: whether {@code GET /metrics} serves the Prometheus metrics (off:
 *     nothing counts them, and the path answers 404)
 * @param metricsPublic {@code metrics_public}: {@code GET /metrics} answers without the token
 */
public record AdminSettings(
    InetSocketAddress bind, boolean allowRemote, boolean metrics, boolean metricsPublic) {

  static final Key<AdminSettings, InetSocketAddress> BIND =
      Key.of(
          "bind",
          Type.socketAddress(),
          new InetSocketAddress(IpLiterals.parseAddress("127.0.0.1"), 8025),
          AdminSettings::bind);
  static final Key<AdminSettings, Boolean> ALLOW_REMOTE =
      Key.of("allow_remote", Type.bool(), false, AdminSettings::allowRemote);
  static final Key<AdminSettings, Boolean> METRICS =
      Key.of("metrics", Type.bool(), true, AdminSettings::metrics);
  static final Key<AdminSettings, Boolean> METRICS_PUBLIC =
      Key.of("metrics_public", Type.bool(), false, AdminSettings::metricsPublic);

  static final Section<AdminSettings> SECTION =
      Section.of(
              "admin", List.of(BIND, ALLOW_REMOTE, METRICS, METRICS_PUBLIC), AdminSettings::build)
          .describedAs(
              a ->
                  Type.socketAddress(a.bind())
                      + (a.allowRemote() ? " (remote access allowed)" : "")
                      + (!a.metrics()
                          ? ", no metrics"
                          : a.metricsPublic() ? ", metrics without the token" : ""));

  public static final AdminSettings DEFAULTS = SECTION.defaults();

  /** The API can add and remove suppressions: it binds loopback unless told otherwise. */
  private static AdminSettings build(Values v) {
    boolean remote = v.get(ALLOW_REMOTE);
    InetSocketAddress bind = v.get(BIND);
    if (v.valid(ALLOW_REMOTE, BIND) && !bind.getAddress().isLoopbackAddress() && !remote) {
      Field bindField = v.field(BIND);
      v.reader()
          .error(
              bindField != null ? bindField : Objects.requireNonNull(v.mapping()),
              Addresses.literal(bind.getAddress(), bind.getPort())
                  + " is not a loopback address: the admin API can add and remove suppressions;"
                  + " set admin.allow_remote: true to bind it anyway (the bearer token is still"
                  + " required)");
    }
    return new AdminSettings(bind, remote, v.get(METRICS), v.get(METRICS_PUBLIC));
  }
}
