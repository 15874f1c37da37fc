package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code limits.max_per_ip} and {@code limits.max_connections} count per layout entry: over either
 * the client gets 421 4.7.0, while another entry's listener still serves. A server of its own, so
 * no other test's connections are counted.
 */
class ConnectionLimitsIT extends ServerPerClass {
  @Override
  TestLayout layout(Path dir) {
    return new TestLayout(dir).limits("{ max_per_ip: 3, max_connections: 5 }");
  }

  @Test
  void connectionsPerIpAndPerEntry() throws Exception {
    InetAddress lo = InetAddress.getLoopbackAddress();
    List<RawSmtp> open = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        RawSmtp c = new RawSmtp(lo, layout.primary, InetAddress.getByName("127.0.0.11"));
        open.add(c);
        assertThat(c.reply()).startsWith("220 ");
      }
      try (RawSmtp fourth = new RawSmtp(lo, layout.primary, InetAddress.getByName("127.0.0.11"))) {
        assertThat(fourth.reply()).startsWith("421 4.7.0");
      }
      for (int i = 0; i < 2; i++) {
        RawSmtp c = new RawSmtp(lo, layout.primary, InetAddress.getByName("127.0.0.12"));
        open.add(c);
        assertThat(c.reply()).startsWith("220 ");
      }
      try (RawSmtp sixth = new RawSmtp(lo, layout.primary, InetAddress.getByName("127.0.0.13"))) {
        assertThat(sixth.reply()).startsWith("421 4.7.0");
      }
      // Limits count per layout entry: the trap's listener still serves.
      try (RawSmtp other = new RawSmtp(lo, layout.trap30, InetAddress.getByName("127.0.0.13"))) {
        assertThat(other.reply()).startsWith("220 ");
      }
    } finally {
      for (RawSmtp c : open) {
        c.close();
      }
    }
  }
}
