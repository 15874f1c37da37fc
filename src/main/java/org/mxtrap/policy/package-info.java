/**
 * The trap engine: {@link org.mxtrap.policy.TrapEngine} implements {@link
 * org.mxtrap.core.Admission} by recording each contact and running the checks in the precedence of
 * PRODUCT.md ("Decisions"): allow list, block list, active suppression, the DNSBL score ({@link
 * org.mxtrap.policy.DnsblCheck}), then the trap and backup checks, which ask {@link
 * org.mxtrap.policy.Arming} whether the lower entries were available. Values in, values out: no
 * SMTP text, no sockets (except the {@link org.mxtrap.policy.Prober}, which is the engine's own eye
 * on the other MX hosts).
 */
@NullMarked
package org.mxtrap.policy;

import org.jspecify.annotations.NullMarked;
