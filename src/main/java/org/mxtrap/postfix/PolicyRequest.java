package org.mxtrap.postfix;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Sender;

/**
 * The attributes of one policy request that the engine needs; Postfix sends many more (size,
 * recipient, protocol_state, ...), which are ignored, as SMTPD_POLICY_README asks ("the policy
 * server should ignore attributes that it does not care about").
 *
 * @param instance Postfix's {@code instance}: the same for every request of one SMTP session (one
 *     message delivery transaction, by the README's word, but smtpd keeps it for the session)
 * @param client {@code client_address}
 * @param local {@code server_address} and {@code server_port} (Postfix 3.2 and later): the address
 *     and port the SMTP client connected to, which name its layout entry
 * @param sender {@code helo_name} and {@code sender} (the envelope sender), when Postfix has them
 *     (at RCPT time it has both; an empty value is none)
 * @param session the SMTP session's key: {@code instance}, {@code client_address}, {@code
 *     server_address} and {@code server_port} as Postfix wrote them
 */
record PolicyRequest(
    String instance, InetAddress client, InetSocketAddress local, Sender sender, String session) {

  /** The attributes {@link #of} reads. */
  static final Set<String> NAMES =
      Set.of(
          "request",
          "instance",
          "client_address",
          "server_address",
          "server_port",
          "helo_name",
          "sender");

  /** Why a request cannot be answered: the connection gets {@link Actions#MALFORMED} and closes. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    Malformed(String why) {
      super(why, null, false, false);
    }
  }

  /**
   * The request in {@code attributes}, or why it is malformed: {@code request} must be {@code
   * smtpd_access_policy}; {@code instance}, {@code client_address}, {@code server_address} and
   * {@code server_port} must be there, the addresses as literals and the port from 1 to 65535.
   */
  static PolicyRequest of(Map<String, String> attributes) throws Malformed {
    String request = attributes.get("request");
    if (!"smtpd_access_policy".equals(request)) {
      throw new Malformed(
          request == null ? "no request attribute" : "request=" + request + " is not ours");
    }
    String instance = required(attributes, "instance");
    InetAddress client = address(attributes, "client_address");
    InetAddress server = address(attributes, "server_address");
    String port = required(attributes, "server_port");
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      p = 0;
    }
    if (p < 1 || p > 65_535 || port.length() > 5) {
      throw new Malformed("server_port=" + port + " is not a port");
    }
    return new PolicyRequest(
        instance,
        client,
        new InetSocketAddress(server, p),
        new Sender(optional(attributes, "helo_name"), optional(attributes, "sender")),
        instance
            + " "
            + attributes.get("client_address")
            + " "
            + attributes.get("server_address")
            + " "
            + port);
  }

  private static @Nullable String optional(Map<String, String> attributes, String name) {
    String v = attributes.get(name);
    return v == null || v.isEmpty() ? null : v;
  }

  private static String required(Map<String, String> attributes, String name) throws Malformed {
    String v = attributes.get(name);
    if (v == null || v.isEmpty()) {
      throw new Malformed("no " + name + " attribute");
    }
    return v;
  }

  private static InetAddress address(Map<String, String> attributes, String name) throws Malformed {
    String v = required(attributes, name);
    return Addresses.parse(v)
        .orElseThrow(() -> new Malformed(name + "=" + v + " is not an address"));
  }
}
