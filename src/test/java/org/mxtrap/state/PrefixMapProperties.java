package org.mxtrap.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;

/** The index agrees with {@link Cidr#contains} on every address, after puts and removes. */
class PrefixMapProperties {

  @Property(tries = 300)
  void coveringIsWhatCidrContainsLongestFirst(@ForAll long seed) {
    Random random = new Random(seed);
    PrefixMap<Cidr> index = new PrefixMap<>();
    Map<Cidr, Cidr> model = new LinkedHashMap<>();
    for (int i = 0; i < 40; i++) {
      InetAddress a = address(random);
      Cidr prefix = Cidr.of(a, random.nextInt(Addresses.unmap(a).getAddress().length * 8 + 1));
      if (random.nextInt(4) == 0 && !model.isEmpty()) {
        Cidr gone = List.copyOf(model.keySet()).get(random.nextInt(model.size()));
        assertThat(index.remove(gone)).isEqualTo(gone);
        model.remove(gone);
      } else {
        index.put(prefix, prefix);
        model.put(prefix, prefix);
      }
    }
    for (int i = 0; i < 100; i++) {
      InetAddress a = address(random);
      List<Cidr> expected = new ArrayList<>();
      for (Cidr p : model.keySet()) {
        if (p.contains(a)) {
          expected.add(p);
        }
      }
      expected.sort(Comparator.comparingInt(Cidr::length).reversed());
      assertThat(index.covering(a)).as("covering %s", a).isEqualTo(expected);
    }
    for (Cidr p : model.keySet()) {
      assertThat(index.get(p)).isEqualTo(p);
    }
    assertThat(index.values()).containsExactlyInAnyOrderElementsOf(model.keySet());
  }

  /** Addresses from a few small neighbourhoods, so that prefixes overlap and nest. */
  private static InetAddress address(Random random) {
    byte[] b =
        switch (random.nextInt(3)) {
          case 0 -> new byte[] {(byte) 192, 0, 2, (byte) random.nextInt(256)};
          case 1 -> {
            byte[] v6 = Addresses.parse("2001:db8::").orElseThrow().getAddress();
            v6[random.nextInt(16)] = (byte) random.nextInt(256);
            v6[15] = (byte) random.nextInt(256);
            yield v6;
          }
          default -> { // IPv4-mapped: one of the IPv4 neighbours above, written as IPv6
            byte[] m = new byte[16];
            m[10] = (byte) 0xff;
            m[11] = (byte) 0xff;
            m[12] = (byte) 192;
            m[14] = 2;
            m[15] = (byte) random.nextInt(256);
            yield m;
          }
        };
    return byAddress(b);
  }

  /** Unlike {@link Addresses#byAddress}, keeps an IPv4-mapped address an IPv6 one. */
  private static InetAddress byAddress(byte[] b) {
    try {
      return b.length == 16 ? Inet6Address.getByAddress(null, b, -1) : InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
