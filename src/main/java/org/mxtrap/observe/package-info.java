/** Observability: how mxtrap's log lines are shaped (and later events and metrics). */
@NullMarked
package org.mxtrap.observe;

import org.jspecify.annotations.NullMarked;
