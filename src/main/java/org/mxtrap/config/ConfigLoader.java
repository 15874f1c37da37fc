package org.mxtrap.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;

/** Reads and validates a config file. (Loader itself: work in progress.) */
public final class ConfigLoader {
  private ConfigLoader() {}

  static MxtrapConfig demo(Path workDir) {
    InetAddress lo = InetAddress.getLoopbackAddress();
    Layout layout =
        new Layout(
            List.of(
                new LayoutEntry(10, "mail.example.test", lo, 2525, Role.PRIMARY),
                new LayoutEntry(30, "mx2.example.test", lo, 2526, Role.TRAP),
                new LayoutEntry(40, "mx3.example.test", lo, 2527, Role.TRAP)));
    return new MxtrapConfig(
        null,
        "mail.example.test",
        List.of("example.test"),
        workDir.resolve("data").toAbsolutePath().normalize(),
        layout,
        layout.entries().stream().map(LayoutEntry::socketAddress).map(a -> (InetSocketAddress) a).toList(),
        Limits.DEFAULTS,
        null,
        DeliverySettings.DEFAULTS,
        QueueSettings.DEFAULTS);
  }
}
