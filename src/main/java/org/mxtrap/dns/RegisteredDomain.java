package org.mxtrap.dns;

import com.google.common.net.InternetDomainName;
import java.util.Locale;
import java.util.Optional;

/**
 * The registered domain of a host name: the public suffix it lies under and one label more, by the
 * Public Suffix List that Guava carries ({@code mail-ab12.google.com} → {@code google.com}, {@code
 * a.b.example.co.uk} → {@code example.co.uk}). Two hosts with the same registered domain belong to
 * the same registrant, which is what makes it an identity for a pool of senders.
 *
 * <p>The whole list counts, its private section too: {@code mail.someone.github.io} belongs to
 * {@code someone.github.io}, not to {@code github.io}, and an EC2 instance's name under {@code
 * *.compute-1.amazonaws.com} is a suffix itself and has none, since a cloud's or a host's customers
 * are not one sender. The list is the one of the Guava release in use; no file or network is read.
 * Thread-safe, no state.
 */
public final class RegisteredDomain {
  private RegisteredDomain() {}

  /**
   * The registered domain of {@code host}, lower case, without a final dot; empty when {@code host}
   * is not a valid domain name, is a public suffix itself, or lies under no suffix of the list.
   */
  public static Optional<String> of(String host) {
    String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    if (!InternetDomainName.isValid(name)) {
      return Optional.empty();
    }
    InternetDomainName domain = InternetDomainName.from(name.toLowerCase(Locale.ROOT));
    return domain.isUnderPublicSuffix()
        ? Optional.of(domain.topPrivateDomain().toString())
        : Optional.empty();
  }
}
