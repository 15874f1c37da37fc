package org.mxtrap.dns;

import java.net.InetAddress;

/**
 * The DNS lookups mxtrap makes: the port through which DNS comes in (STYLE.md rule 5); tests use a
 * fake.
 *
 * <p>Every method blocks until it has an outcome and never throws for a DNS failure: a lookup that
 * could not be made is {@link Answer.Unknown}, never {@link Answer.NotFound} (STYLE.md rule 3).
 * CNAMEs are followed; the ones on the way are in the answer. Names are absolute, with or without
 * the final dot, in any case; names in answers are lower case, without the final dot ({@code "."}
 * for the root). A name that is not a valid DNS name (an empty label, a label over 63 octets, over
 * 255 octets in all) is an {@link IllegalArgumentException}: a caller's bug, not a DNS outcome.
 * Implementations are thread-safe.
 */
public interface Dns {

  /** The MX records of {@code domain}, in the order the resolver returned them. */
  Answer<MxRecord> mx(String domain);

  /** The IPv4 addresses (A records) of {@code host}. */
  Answer<InetAddress> a(String host);

  /** The IPv6 addresses (AAAA records) of {@code host}. */
  Answer<InetAddress> aaaa(String host);

  /**
   * The names (PTR records) of {@code address}, looked up under {@code in-addr.arpa} or {@code
   * ip6.arpa}. Not confirmed: a caller that trusts a name looks its addresses up again.
   */
  Answer<String> ptr(InetAddress address);

  /** The TXT records of {@code name}, one string per record, its character-strings joined. */
  Answer<String> txt(String name);
}
