/**
 * Test doubles that tests of several packages share: a clock moved by hand ({@link
 * org.mxtrap.testing.FakeClock}), canned DNS answers behind the {@code Dns} port ({@link
 * org.mxtrap.testing.FakeDns}), free loopback ports, a stream that serves its bytes in small
 * chunks, and {@link org.mxtrap.testing.UncaughtExceptionGuard}, which fails a test whose threads
 * threw. Helpers of one package stay beside its tests; those of the integration tests stay in
 * {@code it}.
 */
package org.mxtrap.testing;
