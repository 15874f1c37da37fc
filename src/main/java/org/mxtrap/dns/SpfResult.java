package org.mxtrap.dns;

import java.util.Locale;

/**
 * The result of an SPF check (RFC 7208 section 2.6), what {@link Spf#checkHost} concludes about a
 * client address and a domain. Only {@link #PASS} says the domain authorizes the address; {@link
 * #TEMPERROR} is the unknown of a lookup that could not be made (or the time ran out), never a
 * "no".
 */
public enum SpfResult {
  /** The domain publishes no SPF record, or is not a domain name (2.6.1). */
  NONE,
  /** The domain states nothing about the address: {@code ?} matched, or nothing did (2.6.2). */
  NEUTRAL,
  /** The address is authorized (2.6.3). */
  PASS,
  /** The address is not authorized (2.6.4). */
  FAIL,
  /** The address is probably not authorized, a weak statement (2.6.5). */
  SOFTFAIL,
  /** A transient error, a DNS lookup that could not be made or ran out of time (2.6.6). */
  TEMPERROR,
  /** The records cannot be interpreted: syntax, too many lookups, several records (2.6.7). */
  PERMERROR;

  /** The result as RFC 7208 writes it, for logs and {@code explain}: {@code softfail}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
