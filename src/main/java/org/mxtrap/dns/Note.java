package org.mxtrap.dns;

import java.util.Locale;
import java.util.Objects;

/**
 * Something worth knowing about a delivery order that does not change it, or that explains why
 * there is none: an implicit MX, a CNAME target, a lookup that could not be made.
 *
 * @param kind what sort of remark, for programs
 * @param text the remark, for people
 */
public record Note(Kind kind, String text) {

  public enum Kind {
    /** The domain has no MX records: the domain itself is the MX, preference 0. */
    IMPLICIT_MX,
    /** A null MX (RFC 7505), alone or, wrongly, among other MX records. */
    NULL_MX,
    /** The domain is an alias (CNAME); its target's MX records were used. */
    DOMAIN_CNAME,
    /** An MX target is an alias (CNAME), which RFC 2181 10.3 and RFC 5321 5.1 forbid. */
    CNAME_TARGET,
    /** An MX target is an IP address written as a name: used as that address. */
    ADDRESS_LITERAL,
    /** A lookup could not be made (SERVFAIL, timeout, ...): what it would have said is unknown. */
    UNKNOWN_LOOKUP,
    /** A host has no A or AAAA record. */
    NO_ADDRESS,
    /** This host is in the list: it and every entry of equal or higher preference were dropped. */
    SELF,
    /** MX hosts beyond the limit were not looked up. */
    HOST_LIMIT,
    /** Addresses beyond the limit are not tried. */
    ADDRESS_LIMIT;

    /** The kind as programs read it: {@code cname-target}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  public Note {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(text, "text");
  }

  @Override
  public String toString() {
    return kind.label() + ": " + text;
  }
}
