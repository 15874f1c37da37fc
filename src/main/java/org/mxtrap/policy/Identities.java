package org.mxtrap.policy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Sender;
import org.mxtrap.dns.RegisteredDomain;

/**
 * The identities a client is known by in the {@link org.mxtrap.state.IdentityHistory}, each a
 * string of its kind and value.
 *
 * <p>{@code ptr:DOMAIN}: the registered domain (Public Suffix List) of the client's
 * forward-confirmed reverse name: {@code mail-ab12.google.com} is {@code ptr:google.com}. Only a
 * name the sender chose counts: a name that spells the client's address ({@code
 * ec2-198-51-100-7.compute-1.amazonaws.com}, {@code 7.100.51.198.dsl.example.net}) is the name a
 * provider gives every address of its pool, and would make one identity of all its customers, bots
 * included.
 *
 * <p>{@code mail:DOMAIN}: the domain of the envelope sender. Anyone can write any sender: this
 * identity excuses only with SPF passing both the client and the lower contact's client.
 */
final class Identities {
  private Identities() {}

  /** {@code ptr:DOMAIN} for {@code verifiedName}, or empty when the name is generic or public. */
  static Optional<String> ofReverseName(InetAddress client, String verifiedName) {
    String name = verifiedName.toLowerCase(Locale.ROOT);
    if (spellsAddress(client, name)) {
      return Optional.empty();
    }
    return RegisteredDomain.of(name).map(d -> "ptr:" + d);
  }

  /**
   * {@code mail:DOMAIN} for the sender's envelope domain; empty when it has none or it is an
   * address literal.
   */
  static Optional<String> ofSender(Sender sender) {
    String d = sender.mailDomain();
    return d == null || d.startsWith("[") ? Optional.empty() : Optional.of("mail:" + d);
  }

  /**
   * Whether {@code name} holds {@code client}'s address: its four octets joined by {@code -},
   * {@code .} or {@code _} in either order, as twelve zero-padded digits or eight hex digits; an
   * IPv6 address as its 32 hex digits or its text with {@code -} for {@code :}.
   */
  static boolean spellsAddress(InetAddress client, String name) {
    byte[] a = client.getAddress();
    String hex = HexFormat.of().formatHex(a);
    if (name.contains(hex)) {
      return true;
    }
    if (!(client instanceof Inet4Address)) {
      return name.contains(Addresses.text(client).replace(':', '-'));
    }
    int[] o = {a[0] & 0xff, a[1] & 0xff, a[2] & 0xff, a[3] & 0xff};
    for (String sep : List.of("-", ".", "_")) {
      String forward = o[0] + sep + o[1] + sep + o[2] + sep + o[3];
      String reverse = o[3] + sep + o[2] + sep + o[1] + sep + o[0];
      if (containsOctets(name, forward) || containsOctets(name, reverse)) {
        return true;
      }
    }
    return name.contains(String.format(Locale.ROOT, "%03d%03d%03d%03d", o[0], o[1], o[2], o[3]));
  }

  /**
   * {@code octets} in {@code name} not within a longer number ({@code 1-2-3-4} not in {@code
   * 11-2-3-45}).
   */
  private static boolean containsOctets(String name, String octets) {
    for (int i = name.indexOf(octets); i >= 0; i = name.indexOf(octets, i + 1)) {
      int end = i + octets.length();
      boolean before = i > 0 && Character.isDigit(name.charAt(i - 1));
      boolean after = end < name.length() && Character.isDigit(name.charAt(end));
      if (!before && !after) {
        return true;
      }
    }
    return false;
  }
}
