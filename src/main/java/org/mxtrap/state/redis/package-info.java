/**
 * The state ports kept in Redis, so that every MX host of a site shares one policy: the only
 * package that imports the Redis client (Lettuce). Each class documents its key schema, each key's
 * TTL and what it costs in Redis memory; every key is under a caller-given prefix, so several sites
 * share one Redis.
 */
@NullMarked
package org.mxtrap.state.redis;

import org.jspecify.annotations.NullMarked;
