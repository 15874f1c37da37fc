/**
 * DNS, the only package that imports dnsjava: the {@link org.mxtrap.dns.Dns} port that every lookup
 * goes through, with its three outcomes (found, not found, unknown) never folded together; {@link
 * org.mxtrap.dns.StubResolver}, which asks the configured recursive resolvers; {@link
 * org.mxtrap.dns.MxLocator}, the RFC 5321 section 5.1 delivery order of a domain; {@link
 * org.mxtrap.dns.Dnsbl}, the DNS blocklists asked about a client (RFC 5782); {@link
 * org.mxtrap.dns.ReverseNames}, a client's forward-confirmed reverse name; {@link
 * org.mxtrap.dns.ZonePlan}, the zone records that publish a layout; and {@link
 * org.mxtrap.dns.LayoutCheck}, which compares what a domain publishes with the layout. Dnsbl and
 * ReverseNames keep to a deadline: a lookup still running when its client's time is up is abandoned
 * and its outcome is unknown.
 */
@NullMarked
package org.mxtrap.dns;

import org.jspecify.annotations.NullMarked;
