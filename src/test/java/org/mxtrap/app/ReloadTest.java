package org.mxtrap.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.config.ConfigLoader;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.core.Action;
import org.mxtrap.core.Cidr;

class ReloadTest {
  @TempDir Path dir;

  private MxtrapConfig config(String name, String more) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(
        file,
        """
        hostname: mail.example.com
        domains: [example.com]
        data_dir: %s
        layout:
          - { preference: 10, host: mail.example.com, address: 127.0.0.1, port: 2525, role: primary }
          - { preference: 30, host: mx2.example.com, address: 127.0.0.1, port: 2526, role: trap }
        listen: ["127.0.0.1:2525", "127.0.0.1:2526"]
        """
                .formatted(dir.resolve("data"))
            + more);
    return ConfigLoader.load(file);
  }

  @Test
  void theFilesValuesApplyWhereAReloadCanTheRunningOnesStayWhereARestartIsNeeded()
      throws Exception {
    MxtrapConfig running = config("a.yml", "trap: { window: 1h }\n");
    MxtrapConfig file =
        config(
            "b.yml",
            """
            trap: { window: 2h, on_trap: reject }
            limits: { max_connections: 7, max_per_ip: 3, max_message_size: 1MB }
            allow: [192.0.2.0/24]
            """);

    MxtrapConfig next = Reload.merge(running, file);

    assertThat(next.allow()).containsExactly(Cidr.parse("192.0.2.0/24"));
    assertThat(next.trap().onTrap()).isEqualTo(Action.REJECT);
    assertThat(next.limits().maxMessageSize()).isEqualTo(1024 * 1024);
    assertThat(next.limits().maxPerIp()).isEqualTo(3);
    assertThat(next.trap().window()).isEqualTo(Duration.ofHours(1));
    assertThat(next.limits().maxConnections()).isEqualTo(running.limits().maxConnections());
    assertThat(next.source()).isEqualTo(running.source());
    assertThat(Reload.needRestart(running, file))
        .containsExactly("limits.max_connections", "trap.window");
    assertThat(Reload.applied(running, next))
        .containsExactly("limits.max_per_ip", "limits.max_message_size", "trap.on_trap", "allow");
  }

  @Test
  void anUnchangedFileChangesNothing() throws Exception {
    MxtrapConfig running = config("a.yml", "allow: [192.0.2.0/24]\n");
    MxtrapConfig file = config("b.yml", "allow: [192.0.2.0/24]\n");

    assertThat(Reload.needRestart(running, file)).isEmpty();
    assertThat(Reload.applied(running, Reload.merge(running, file))).isEmpty();
  }
}
