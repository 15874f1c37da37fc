package org.mxtrap.dns.layout;

import java.util.Locale;
import java.util.Objects;

/**
 * One way the published MX layout of a domain differs from the configured one, or falls short of a
 * working trap ({@link LayoutCheck}).
 *
 * @param code what kind of finding, stable for scripts
 * @param subject the name it is about: an MX host, or the domain
 * @param text what was found and why it matters, for people
 */
public record Finding(Code code, String subject, String text) {

  /** The kinds of finding. Their {@link #label()}s are an interface: never renamed. */
  public enum Code {
    /** An MX record of the layout is not published. */
    MISSING_MX,
    /** A published MX record is not in the layout. */
    EXTRA_MX,
    /** A host of the layout is published at another preference. */
    WRONG_PREFERENCE,
    /**
     * A trap host has an address of a primary or backup: the trap cannot tell its senders apart.
     */
    TRAP_ADDRESS_IS_PRIMARY,
    /** An MX host name gives the trap away (see {@link RevealingNames}). */
    REVEALING_NAME,
    /** A primary, backup or unknown MX has a higher preference number than a trap. */
    TRAP_NOT_HIGHEST,
    /** A trap shares its preference with a real MX: senders pick among them at random. */
    TRAP_SHARES_PREFERENCE,
    /** An MX target is an alias (CNAME), which RFC 2181 10.3 and RFC 5321 5.1 forbid. */
    MX_CNAME,
    /** The domain publishes a null MX (RFC 7505): alone it says the domain takes no mail. */
    NULL_MX,
    /** An MX host has no A or AAAA record. */
    UNRESOLVABLE_HOST,
    /** An MX host's published addresses differ from the layout's. */
    ADDRESS_MISMATCH,
    /** A lookup could not be made (SERVFAIL, timeout, ...): what it would say is unknown. */
    LOOKUP_UNKNOWN;

    /** The code as scripts read it: {@code missing-mx}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  public Finding {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(text, "text");
  }

  @Override
  public String toString() {
    return code.label() + " " + subject + ": " + text;
  }
}
