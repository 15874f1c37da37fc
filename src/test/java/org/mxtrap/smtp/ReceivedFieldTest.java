package org.mxtrap.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The client of a relay's Received field, and the hold that reads that field in a stream. */
class ReceivedFieldTest {

  @Test
  void readsTheAddressOfTheFromClause() throws IOException {
    assertThat(client("Received: from h.test (c.test [192.0.2.7])\r\n\tby mx.test; d\r\n"))
        .hasValue(address("192.0.2.7"));
    assertThat(client("Received: from [203.0.113.1] (unknown [192.0.2.8]) by mx.test; d"))
        .hasValue(address("192.0.2.8"));
    assertThat(client("Received: from c.test ([192.0.2.9] helo=[203.0.113.1]) by mx.test"))
        .hasValue(address("192.0.2.9"));
    assertThat(client("Received: from [192.0.2.10] (helo=[203.0.113.1]) by mx.test"))
        .hasValue(address("192.0.2.10"));
    assertThat(client("received:   FROM h ([IPv6:2001:db8::7]) BY mx.test"))
        .hasValue(address("2001:db8::7"));
    assertThat(client("Received: from h (h [not.an.address]) by mx.test")).isEmpty();
    assertThat(client("Received: by mx.test with local; d")).isEmpty();
    assertThat(client("Subject: from h (h [192.0.2.7])")).isEmpty();
  }

  private static Optional<InetAddress> client(String field) {
    return ReceivedField.client(field);
  }

  private static InetAddress address(String literal) throws IOException {
    return InetAddress.getByName(literal);
  }

  @Test
  void theHoldPutsItsPrefixBeforeTheFirstFieldWhateverTheWrites() throws IOException {
    String content = "Received: from a\r\n\tby b\r\nSubject: s\r\n\r\nbody\r\n";
    for (int chunk : new int[] {1, 3, 7, 1000}) {
      List<String> seen = new ArrayList<>();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      FirstFieldHold hold =
          new FirstFieldHold(
              out,
              f -> {
                seen.add(f);
                return "X: y\r\n".getBytes(StandardCharsets.US_ASCII);
              });
      byte[] b = content.getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < b.length; i += chunk) {
        hold.write(b, i, Math.min(chunk, b.length - i));
      }
      hold.finish();
      assertThat(seen).as("chunk %d", chunk).containsExactly("Received: from a\r\n\tby b\r\n");
      assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("X: y\r\n" + content);
    }
  }

  @Test
  void noHeaderOrAnEndBeforeTheFieldEndsGivesWhatThereIs() throws IOException {
    List<String> seen = new ArrayList<>();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    FirstFieldHold hold =
        new FirstFieldHold(
            out,
            f -> {
              seen.add(f);
              return new byte[0];
            });
    hold.write("\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
    hold.finish();
    assertThat(seen).containsExactly("\r\n");

    FirstFieldHold shortOne =
        new FirstFieldHold(
            out,
            f -> {
              seen.add(f);
              return new byte[0];
            });
    shortOne.write("Received: x\r\n".getBytes(StandardCharsets.US_ASCII));
    shortOne.finish();
    assertThat(seen).last().isEqualTo("Received: x\r\n");
  }
}
