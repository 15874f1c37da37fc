package org.mxtrap.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.ExportSettings.Format;
import org.mxtrap.core.Cidr;

/** Each export format, for single addresses and networks of both families. */
class SuppressionExportTest {
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant UNTIL = Instant.parse("2026-01-02T00:00:00Z");

  static Suppressions.Entry entry(String prefix, String reason) {
    return Suppressions.Entry.of(Cidr.parse(prefix), NOW, UNTIL, reason, 2, "evidence");
  }

  static final List<Suppressions.Entry> ACTIVE =
      List.of(
          entry("192.0.2.7", "mx-skip"),
          entry("198.51.100.0/24", "manual"),
          entry("2001:db8::1", "mx-skip"),
          entry("2001:db8:1::/48", "early-talker"));

  @Test
  void nftDeclaresFlushesAndFillsBothSetsInOneFile() {
    String nft = SuppressionExport.render(Format.NFT, ACTIVE, NOW);
    assertThat(nft)
        .startsWith("# mxtrap: 4 active suppression(s) at 2026-01-01T00:00:00Z, format nft\n")
        .contains(
            """
            flush set inet mxtrap trapped4
            flush set inet mxtrap trapped6
            table inet mxtrap {
              set trapped4 {
                type ipv4_addr; flags interval; auto-merge;
                elements = {
                  192.0.2.7,
                  198.51.100.0/24
                }
              }
              set trapped6 {
                type ipv6_addr; flags interval; auto-merge;
                elements = {
                  2001:db8::1,
                  2001:db8:1::/48
                }
              }
            }
            """);
  }

  @Test
  void nftWithoutSuppressionsHasEmptySets() {
    String nft = SuppressionExport.render(Format.NFT, List.of(), NOW);
    assertThat(nft).doesNotContain("elements").contains("flush set inet mxtrap trapped6");
  }

  @Test
  void ipsetFillsASetAsideAndSwapsItIn() {
    assertThat(SuppressionExport.render(Format.IPSET, ACTIVE, NOW))
        .endsWith(
            """
            # Load with ipset restore -f FILE
            create mxtrap-trapped4 hash:net family inet maxelem 1048576 -exist
            create mxtrap-trapped4-new hash:net family inet maxelem 1048576 -exist
            flush mxtrap-trapped4-new
            add mxtrap-trapped4-new 192.0.2.7
            add mxtrap-trapped4-new 198.51.100.0/24
            swap mxtrap-trapped4-new mxtrap-trapped4
            destroy mxtrap-trapped4-new
            create mxtrap-trapped6 hash:net family inet6 maxelem 1048576 -exist
            create mxtrap-trapped6-new hash:net family inet6 maxelem 1048576 -exist
            flush mxtrap-trapped6-new
            add mxtrap-trapped6-new 2001:db8::1
            add mxtrap-trapped6-new 2001:db8:1::/48
            swap mxtrap-trapped6-new mxtrap-trapped6
            destroy mxtrap-trapped6-new
            """);
  }

  @Test
  void rbldnsdIsOneCombinedDatasetWithTheReasonAsTxt() {
    assertThat(
            SuppressionExport.render(
                Format.RBLDNSD,
                List.of(
                    entry("192.0.2.7", "mx-skip"),
                    entry("198.51.100.0/24", "$odd: reason"),
                    entry("2001:db8:1::/48", "manual")),
                NOW))
        .endsWith(
            """
            $DATASET ip4set:mxtrap4 @
            :127.0.0.2:listed by mxtrap
            192.0.2.7 mx-skip until 2026-01-02T00:00:00Z
            198.51.100.0/24 -odd--reason until 2026-01-02T00:00:00Z
            $DATASET ip6trie:mxtrap6 @
            :127.0.0.2:listed by mxtrap
            2001:db8:1::/48 manual until 2026-01-02T00:00:00Z
            """);
  }

  @Test
  void csvHasAHeaderCrlfAndRfc4180Quoting() {
    assertThat(
            SuppressionExport.render(
                Format.CSV,
                List.of(entry("2001:db8:1::/48", "mx-skip"), entry("192.0.2.7", "a \"b\", c")),
                NOW))
        .isEqualTo(
            "address,since,until,reason,offences\r\n"
                + "2001:db8:1::/48,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,mx-skip,2\r\n"
                + "192.0.2.7,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,\"a \"\"b\"\", c\",2\r\n");
    assertThat(SuppressionExport.csvField("line\nbreak")).isEqualTo("\"line\nbreak\"");
  }
}
