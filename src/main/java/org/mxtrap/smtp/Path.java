package org.mxtrap.smtp;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Mailbox;

/**
 * A path as the client wrote it in MAIL FROM or RCPT TO (RFC 5321 4.1.2), with the syntax facts the
 * relay check needs: source routes, quoted local parts and address literals all stay visible here,
 * while {@link Mailbox} keeps only the address.
 *
 * @param atDomainList the source route ({@code <@a,@b:user@c>} gives {@code [a, b]}); RFC 5321
 *     4.1.2 says to ignore it, we refuse it for relaying
 * @param localPart the local part as received, without the quotes of a quoted string and with
 *     quoted pairs resolved
 * @param domain the domain in lower case, an address literal with its brackets ({@code
 *     [192.0.2.1]}), or null for the bare {@code <postmaster>} of RFC 5321 4.5.1
 * @param quotedLocalPart the local part was a Quoted-string
 * @param addressLiteral the domain is an address literal
 * @param nonAscii the path holds UTF-8 beyond ASCII, which needs SMTPUTF8 (RFC 6531)
 */
record Path(
    List<String> atDomainList,
    String localPart,
    @Nullable String domain,
    boolean quotedLocalPart,
    boolean addressLiteral,
    boolean nonAscii) {

  Path {
    atDomainList = List.copyOf(atDomainList);
    Objects.requireNonNull(localPart, "localPart");
  }

  /** The bare {@code <postmaster>} (case-insensitive), which needs no domain. */
  boolean isBarePostmaster() {
    return domain == null;
  }

  /** The mailbox; not for {@link #isBarePostmaster()}. */
  Mailbox mailbox() {
    if (domain == null) {
      throw new IllegalStateException("bare postmaster has no mailbox");
    }
    return new Mailbox(localPart, domain);
  }

  /**
   * The path as we echo it in replies and logs, close to what the client sent: {@code <@a:user@b>},
   * {@code <"user@x"@b>}, {@code <postmaster>}; domains in lower case.
   */
  @Override
  public String toString() {
    String route = atDomainList.isEmpty() ? "" : "@" + String.join(",@", atDomainList) + ":";
    String local = quotedLocalPart ? Mailbox.quote(localPart) : localPart;
    return "<" + route + local + (domain == null ? "" : "@" + domain) + ">";
  }
}
