package org.mxtrap.dns;

import java.util.Objects;

/**
 * One MX record: a preference (lower is tried first) and the target host.
 *
 * @param preference 0..65535
 * @param host the target, lower case without the final dot; {@code "."} for the root, which a null
 *     MX (RFC 7505) names
 */
public record MxRecord(int preference, String host) {

  /** The target of a null MX (RFC 7505): the root. */
  public static final String ROOT = ".";

  public MxRecord {
    Objects.requireNonNull(host, "host");
    if (preference < 0 || preference > 65535) {
      throw new IllegalArgumentException("preference out of range 0..65535: " + preference);
    }
  }

  /** Whether the target is the root, as in a null MX ({@code MX 0 .}). */
  public boolean rootTarget() {
    return host.equals(ROOT);
  }

  /** {@code "MX 10 mail.example.com"}, as a zone file writes it (without the final dot). */
  @Override
  public String toString() {
    return "MX " + preference + " " + host;
  }
}
