package org.mxtrap.config;

import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;

/**
 * Where accepted mail goes (PRODUCT.md {@code delivery}).
 *
 * @param relay {@link Mode#RELAY}: the server every message is handed to; null otherwise
 * @param tls when outbound SMTP/LMTP uses STARTTLS
 */
public record DeliverySettings(Mode mode, @Nullable Relay relay, Tls tls) {
  public enum Mode {
    /** One Maildir per recipient under {@code DATA_DIR/mail/<domain>/<localpart>/}. */
    MAILDIR,
    /** Every message to one SMTP or LMTP server ({@code relay}), which decides about mailboxes. */
    RELAY,
    /**
     * A backup: every message to the MX hosts of its recipients' domains that are more preferred
     * than this host (RFC 5321 5.1), in the domain's MX order ({@code dns.resolver}).
     */
    MX
  }

  /**
   * {@code delivery.tls}: outbound STARTTLS; see {@code delivery.TlsPolicy} for what each means.
   */
  public enum Tls {
    OPPORTUNISTIC,
    REQUIRED,
    OFF
  }

  public DeliverySettings {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(tls, "tls");
    if ((mode == Mode.RELAY) != (relay != null)) {
      throw new IllegalArgumentException("a relay goes with mode relay, and only with it: " + mode);
    }
  }

  /**
   * {@code delivery.relay}: the next hop of every message in relay mode.
   *
   * @param host a domain name (canonical: lower case, no trailing dot), resolved with the JDK's
   *     resolver at each connect, or an IP address literal ({@link #address()}), which needs none
   * @param port 1..65535; default 25 for SMTP; LMTP has no default (RFC 2033 has no port of its own
   *     and forbids 25; Dovecot's LMTP is usually put on 24)
   */
  public record Relay(String host, int port, Protocol protocol) {
    public enum Protocol {
      SMTP,
      LMTP
    }

    /** The port a relay speaking SMTP gets when {@code port} is not given. */
    public static final int SMTP_PORT = 25;

    public Relay {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(protocol, "protocol");
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port out of range 1..65535: " + port);
      }
    }

    /** Whether {@code host} is an IP address literal, which needs no lookup. */
    public boolean isAddress() {
      return Addresses.parse(host).isPresent();
    }

    static final Key<Relay, String> HOST =
        Key.required(
            "host", Type.of(Relay::host, h -> h), "the name or address of the relay", null);
    static final Key<Relay, Integer> PORT =
        Key.of("port", Type.integer(1, 65535), null, r -> r.port());
    static final Key<Relay, Protocol> PROTOCOL =
        Key.of(
            "protocol",
            Type.choice(Protocol.class, "smtp", "lmtp"),
            Protocol.SMTP,
            Relay::protocol);

    static final Section<Relay> TABLE =
        Section.of("delivery.relay", List.of(HOST, PORT, PROTOCOL), Relay::build)
            .describedAs(Relay::describe);

    /** {@code HOST:PORT (smtp)}, IPv6 in brackets. */
    static String describe(Relay r) {
      String host = r.host().indexOf(':') >= 0 ? "[" + r.host() + "]" : r.host();
      return host + ":" + r.port() + " (" + r.protocol().name().toLowerCase(Locale.ROOT) + ")";
    }

    /** The port: as given, else 25 for SMTP, and required for LMTP. */
    private static @Nullable Relay build(Values v) {
      String host = v.get(HOST);
      Protocol protocol = v.get(PROTOCOL);
      Integer port = v.get(PORT);
      if (port == null && protocol == Protocol.LMTP && v.valid(PROTOCOL)) {
        v.reader()
            .error(
                v.line(),
                "delivery.relay.port",
                "required with protocol: lmtp (LMTP has no port of its own, and RFC 2033 forbids"
                    + " 25; Dovecot's is usually 24)");
        return null;
      }
      if (host == null || v.failed()) {
        return null;
      }
      return new Relay(host, port == null ? SMTP_PORT : port, protocol);
    }

    /** A domain name or an IP address literal (IPv6 may be in brackets). */
    private static @Nullable String host(Values in, Field f) {
      NodeReader r = in.reader();
      String text = r.text(f);
      if (text == null) {
        return null;
      }
      if (IpLiterals.looksV6(text) || Addresses.parse(text.strip()).isPresent()) {
        InetAddress a = r.parsed(f, IpLiterals::parseAddress);
        return a == null ? null : Addresses.text(a);
      }
      return r.domainName(f);
    }
  }

  static final Key<DeliverySettings, Mode> MODE =
      Key.of(
          "mode",
          Type.of(DeliverySettings::mode, m -> m.name().toLowerCase(Locale.ROOT)),
          Mode.MAILDIR,
          DeliverySettings::mode);
  static final Key<DeliverySettings, Relay> RELAY =
      Key.of("relay", Relay.TABLE.type(), null, DeliverySettings::relay);
  static final Key<DeliverySettings, Tls> TLS =
      Key.of(
          "tls",
          Type.choice(Tls.class, "opportunistic", "required", "off"),
          Tls.OPPORTUNISTIC,
          DeliverySettings::tls);

  static final Section<DeliverySettings> SECTION =
      Section.of("delivery", List.of(MODE, RELAY, TLS), DeliverySettings::build)
          .describedAs(DeliverySettings::describe);

  public static final DeliverySettings DEFAULTS = SECTION.defaults();

  /** {@code maildir}, {@code mx}, or {@code relay to HOST:PORT (smtp) tls=opportunistic}. */
  private static String describe(DeliverySettings d) {
    String mode = MODE.type().show().apply(d.mode());
    Relay relay = d.relay();
    return (relay == null ? mode : mode + " to " + Relay.describe(relay))
        + " tls="
        + TLS.type().show().apply(d.tls());
  }

  /** The relay is read only with mode relay, and required with it. */
  private static @Nullable DeliverySettings build(Values v) {
    Mode mode = v.get(MODE);
    boolean modeRead = v.valid(MODE);
    Field fMode = v.field(MODE);
    Field fRelay = v.field(RELAY);
    Relay relay = null;
    if (modeRead && mode == Mode.RELAY) {
      if (fRelay == null) {
        v.reader()
            .error(
                NodeReader.line(Objects.requireNonNull(fMode).key()),
                "delivery.relay",
                "required with mode: relay (the { host, port, protocol } to hand every message to)");
      } else {
        relay = v.get(RELAY);
      }
    } else if (modeRead && fRelay != null) {
      v.reader()
          .errorAtKey(
              fRelay,
              "only read with mode: relay (mode is "
                  + (fMode == null ? "maildir, the default" : MODE.type().show().apply(mode))
                  + "); set mode: relay or remove the key");
    }
    Tls tls = v.get(TLS);
    if (v.failed() || (mode == Mode.RELAY && relay == null)) {
      return null;
    }
    return new DeliverySettings(mode, relay, tls);
  }

  /** {@code delivery.mode}: {@code maildir}, {@code relay} or {@code mx}. */
  private static @Nullable Mode mode(Values in, Field f) {
    String mode = in.reader().text(f);
    if (mode == null) {
      return null;
    }
    switch (mode) {
      case "maildir" -> {
        return Mode.MAILDIR;
      }
      case "relay" -> {
        return Mode.RELAY;
      }
      case "mx" -> {
        return Mode.MX;
      }
      default ->
          in.reader().error(f, "unknown delivery mode: " + mode + "; use maildir, relay or mx");
    }
    return null;
  }
}
