/**
 * The admin HTTP API: a small JSON (and plain-text) interface to a running host, for the CLI and
 * later the dashboard. {@link org.mxtrap.admin.AdminServer} serves it, {@link
 * org.mxtrap.admin.AdminClient} calls it, {@link org.mxtrap.admin.AdminToken} guards it. It sees
 * the running host only through {@link org.mxtrap.admin.Host}: plain config values and small ports
 * that {@code app} wires from policy, state, queue and delivery, which this package never imports.
 * Nothing outside {@code app} depends on this package.
 */
@NullMarked
package org.mxtrap.admin;

import org.jspecify.annotations.NullMarked;
