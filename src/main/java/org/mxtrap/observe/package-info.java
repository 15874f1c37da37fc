/**
 * Observability: how mxtrap's log lines are shaped (and later events and metrics), the decision
 * log, and {@link org.mxtrap.observe.Json}, the one way the product writes and reads JSON.
 */
@NullMarked
package org.mxtrap.observe;

import org.jspecify.annotations.NullMarked;
