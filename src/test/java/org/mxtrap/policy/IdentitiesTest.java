package org.mxtrap.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mxtrap.core.Addresses;

class IdentitiesTest {

  @ParameterizedTest
  @CsvSource({
    "209.85.220.41, mail-sor-f41.google.com, ptr:google.com",
    "40.107.22.41, mail-db8eur05on2041.outbound.protection.outlook.com, ptr:outlook.com",
    "198.51.100.7, ec2-198-51-100-7.compute-1.amazonaws.com, ''",
    "198.51.100.7, 7.100.51.198.dsl.example.net, ''",
    "198.51.100.7, host198_51_100_7.example.net, ''",
    "198.51.100.7, c198051100007.example.net, ''",
    "198.51.100.7, dyn-c6336407.example.net, ''",
    "198.51.100.7, mx-198-51-100-70.example.net, ptr:example.net",
    "2001:db8::25, 2001-db8--25.pool.example.net, ''",
    "2001:db8::25, mail.example.net, ptr:example.net",
  })
  void theIdentityOfAVerifiedNameUnlessItSpellsTheAddress(
      String client, String name, String identity) {
    InetAddress a = Addresses.parse(client).orElseThrow();
    assertThat(Identities.ofReverseName(a, name).orElse("")).isEqualTo(identity);
  }
}
