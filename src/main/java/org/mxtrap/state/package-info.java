/**
 * What the trap engine remembers: contacts per client network, suppressions, and the availability
 * history of each layout entry. Each kind of memory is a port (an interface) with an embedded
 * implementation here; a shared store (Redis, in {@code state.redis}) implements the same ports so
 * the engine never changes when several hosts share state.
 */
@NullMarked
package org.mxtrap.state;

import org.jspecify.annotations.NullMarked;
