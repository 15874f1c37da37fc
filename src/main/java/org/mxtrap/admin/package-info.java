/**
 * The admin HTTP API: a small JSON (and plain-text) interface to a running host, for the CLI and
 * later the dashboard. {@link org.mxtrap.admin.AdminServer} serves it, {@link
 * org.mxtrap.admin.AdminClient} calls it, {@link org.mxtrap.admin.AdminToken} guards it. Nothing
 * outside {@code app} depends on this package.
 */
@NullMarked
package org.mxtrap.admin;

import org.jspecify.annotations.NullMarked;
