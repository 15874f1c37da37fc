/**
 * Test doubles that tests of several packages share: a clock moved by hand ({@link
 * org.mxtrap.testing.FakeClock}), canned DNS answers behind the {@code Dns} port ({@link
 * org.mxtrap.testing.FakeDns}), free loopback ports, and a stream that serves its bytes in small
 * chunks. Helpers of one package stay beside its tests; those of the integration tests stay in
 * {@code it}.
 */
package org.mxtrap.testing;
