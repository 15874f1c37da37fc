/**
 * Composition root and lifecycle: the CLI commands, wiring, start order, graceful stop. Nothing
 * imports this package except {@code Main}.
 */
@NullMarked
package org.mxtrap.app;

import org.jspecify.annotations.NullMarked;
