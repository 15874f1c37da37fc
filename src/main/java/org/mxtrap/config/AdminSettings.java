package org.mxtrap.config;

import java.net.InetSocketAddress;

/**
 * The admin HTTP API (PRODUCT.md {@code admin}).
 *
 * @param bind where it listens; loopback unless {@code allowRemote}
 * @param allowRemote {@code allow_remote: true}: the operator asked for a non-loopback bind
 */
public record AdminSettings(InetSocketAddress bind, boolean allowRemote) {

  public static final AdminSettings DEFAULTS =
      new AdminSettings(new InetSocketAddress(IpLiterals.parseAddress("127.0.0.1"), 8025), false);
}
