package org.mxtrap.dns;

import com.google.common.net.InternetDomainName;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

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
  // An IPv4 literal is a valid name to Guava, under no suffix: not a host name.
  private static final Pattern IP_LIKE = Pattern.compile("[0-9.]+");

  private RegisteredDomain() {}

  /**
   * The registered domain of {@code host}, lower case, without a final dot; empty when {@code host}
   * is not a valid domain name or is a public suffix itself. A name whose top-level domain the list
   * does not know ({@code mail.example.internal}, the {@code .test} zones of a test) has the list's
   * default rule, {@code *}: its last two labels.
   */
  public static Optional<String> of(String host) {
    String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    if (!InternetDomainName.isValid(name)) {
      return Optional.empty();
    }
    InternetDomainName domain = InternetDomainName.from(name.toLowerCase(Locale.ROOT));
    if (domain.isUnderPublicSuffix()) {
      return Optional.of(domain.topPrivateDomain().toString());
    }
    List<String> labels = domain.parts();
    if (domain.hasPublicSuffix() || labels.size() < 2 || IP_LIKE.matcher(name).matches()) {
      return Optional.empty();
    }
    return Optional.of(String.join(".", labels.subList(labels.size() - 2, labels.size())));
  }
}
