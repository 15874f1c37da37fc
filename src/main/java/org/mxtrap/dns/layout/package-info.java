/**
 * The operator's layout tools, used only by the CLI ({@code mxtrap dns plan}, {@code dns check}):
 * {@link org.mxtrap.dns.layout.ZonePlan}, the zone records that publish a layout; {@link
 * org.mxtrap.dns.layout.LayoutCheck}, which compares what a domain publishes with the layout, in a
 * {@link org.mxtrap.dns.layout.LayoutReport} of {@link org.mxtrap.dns.layout.Finding}s; and the MX
 * names that give a trap away. Every lookup goes through the {@link org.mxtrap.dns.Dns} port; the
 * server never calls into this package.
 */
@NullMarked
package org.mxtrap.dns.layout;

import org.jspecify.annotations.NullMarked;
