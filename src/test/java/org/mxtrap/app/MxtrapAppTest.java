package org.mxtrap.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.config.ConfigLoader;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.dns.ThisHost;

class MxtrapAppTest {
  @TempDir Path dir;

  @Test
  void aBackupIsItselfByItsHostnameAndEveryEntryItServesTrapsIncluded() throws Exception {
    Path file = dir.resolve("mxtrap.yml");
    Files.writeString(
        file,
        """
        hostname: backup.example.com
        domains: [example.com]
        data_dir: %s
        layout:
          - { preference: 10, host: mail.example.com, address: 127.0.0.2, role: primary }
          - { preference: 20, host: mx1.example.com,  address: 127.0.0.3, role: backup }
          - { preference: 30, host: mx2.example.com,  address: 127.0.0.4, role: trap }
          - { preference: 40, host: mx3.example.com,  address: 127.0.0.5, role: trap }
        listen: ["127.0.0.3:25", "127.0.0.4:25"]
        delivery: { mode: mx }
        """
            .formatted(dir.resolve("data")));
    MxtrapConfig config = ConfigLoader.load(file);

    ThisHost self = MxtrapApp.thisHost(config);

    assertThat(self.names())
        .containsExactlyInAnyOrder("backup.example.com", "mx1.example.com", "mx2.example.com");
    assertThat(self.addresses())
        .containsExactlyInAnyOrder(
            InetAddress.getByName("127.0.0.3"), InetAddress.getByName("127.0.0.4"));
  }
}
