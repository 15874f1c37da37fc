/**
 * DNS, the only package that imports dnsjava: the {@link org.mxtrap.dns.Dns} port that every lookup
 * goes through, with its three outcomes (found, not found, unknown) never folded together; {@link
 * org.mxtrap.dns.StubResolver}, which asks the configured recursive resolvers; {@link
 * org.mxtrap.dns.MxLocator}, the RFC 5321 section 5.1 delivery order of a domain; {@link
 * org.mxtrap.dns.Dnsbl}, the DNS blocklists asked about a client (RFC 5782); {@link
 * org.mxtrap.dns.ReverseNames}, a client's forward-confirmed reverse name; {@link
 * org.mxtrap.dns.Spf}, whether a domain's SPF record authorizes a client (RFC 7208); {@link
 * org.mxtrap.dns.RegisteredDomain}, a host's registered domain by the Public Suffix List (the only
 * use of Guava). Dnsbl, ReverseNames and Spf keep to a deadline: a lookup still running when its
 * client's time is up is abandoned and its outcome is unknown. The operator's tools that plan and
 * check a layout's records are in {@code dns.layout}.
 */
@NullMarked
package org.mxtrap.dns;

import org.jspecify.annotations.NullMarked;
