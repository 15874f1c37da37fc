package org.mxtrap.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.IpLiterals;
import org.mxtrap.core.Role;
import org.mxtrap.dns.layout.Finding;
import org.mxtrap.dns.layout.Finding.Code;
import org.mxtrap.dns.layout.LayoutReport;
import org.mxtrap.dns.layout.LayoutReport.Expected;
import org.mxtrap.dns.layout.LayoutReport.Published;
import org.mxtrap.dns.layout.LayoutReport.Row;
import org.mxtrap.dns.layout.ZonePlan;

/** How {@code mxtrap dns check} prints its reports, and {@code dns plan} its refusal. */
class DnsCommandTest {

  private static final LayoutReport REPORT =
      new LayoutReport(
          "example.com",
          List.of(
              new Row(
                  new Expected(
                      10,
                      "mail.example.com",
                      Role.PRIMARY,
                      List.of(IpLiterals.parseAddress("192.0.2.10"))),
                  new Published(
                      10,
                      "mail.example.com",
                      List.of(IpLiterals.parseAddress("192.0.2.10")),
                      List.of("AAAA")),
                  List.of(Code.LOOKUP_UNKNOWN)),
              new Row(
                  new Expected(
                      30,
                      "mx2.example.com",
                      Role.TRAP,
                      List.of(IpLiterals.parseAddress("192.0.2.30"))),
                  new Published(
                      20,
                      "mx2.example.com",
                      List.of(IpLiterals.parseAddress("192.0.2.30")),
                      List.of()),
                  List.of(Code.WRONG_PREFERENCE)),
              new Row(
                  new Expected(
                      40,
                      "mx3.example.com",
                      Role.TRAP,
                      List.of(IpLiterals.parseAddress("192.0.2.40"))),
                  null,
                  List.of(Code.MISSING_MX)),
              new Row(
                  null,
                  new Published(50, "spam.example.net", List.of(), List.of()),
                  List.of(Code.EXTRA_MX, Code.UNRESOLVABLE_HOST, Code.REVEALING_NAME)),
              new Row(null, new Published(0, ".", List.of(), List.of()), List.of(Code.NULL_MX))),
          List.of(
              new Finding(Code.LOOKUP_UNKNOWN, "mail.example.com", "the AAAA lookup ..."),
              new Finding(Code.WRONG_PREFERENCE, "mx2.example.com", "published at preference 20"),
              new Finding(Code.MISSING_MX, "mx3.example.com", "not published"),
              new Finding(Code.EXTRA_MX, "spam.example.net", "not in the layout"),
              new Finding(Code.UNRESOLVABLE_HOST, "spam.example.net", "no address"),
              new Finding(Code.REVEALING_NAME, "spam.example.net", "\"spam\""),
              new Finding(Code.NULL_MX, ".", "among others")),
          List.of("a note"));

  private static final LayoutReport FINE =
      new LayoutReport(
          "example.org",
          List.of(
              new Row(
                  new Expected(
                      10,
                      "mail.example.com",
                      Role.PRIMARY,
                      List.of(IpLiterals.parseAddress("192.0.2.10"))),
                  new Published(
                      10,
                      "mail.example.com",
                      List.of(IpLiterals.parseAddress("192.0.2.10")),
                      List.of()),
                  List.of())),
          List.of(),
          List.of());

  @Test
  void aTableOfEntryExpectedFoundAndVerdictThenTheFindings() {
    assertThat(DnsCommand.table(List.of(REPORT, FINE), "127.0.0.1:53"))
        .isEqualTo(
            """
            example.com: published MX layout against the configured one (asked 127.0.0.1:53)
              entry                           expected          found                                verdict
              MX 10 mail.example.com primary  MX 10 192.0.2.10  MX 10 192.0.2.10, AAAA unknown       lookup-unknown
              MX 30 mx2.example.com trap      MX 30 192.0.2.30  MX 20 192.0.2.30                     wrong-preference
              MX 40 mx3.example.com trap      MX 40 192.0.2.40  not published                        missing-mx
              (not in the layout)             -                 MX 50 spam.example.net (no address)  extra-mx, unresolvable-host, revealing-name
              null MX                         -                 MX 0 .                               null-mx
              findings:
                lookup-unknown mail.example.com: the AAAA lookup ...
                wrong-preference mx2.example.com: published at preference 20
                missing-mx mx3.example.com: not published
                extra-mx spam.example.net: not in the layout
                unresolvable-host spam.example.net: no address
                revealing-name spam.example.net: "spam"
                null-mx .: among others
              note: a note
            example.com: 7 findings
            example.org: published MX layout against the configured one (asked 127.0.0.1:53)
              entry                           expected          found             verdict
              MX 10 mail.example.com primary  MX 10 192.0.2.10  MX 10 192.0.2.10  ok
            example.org: the layout is published as configured
            """);
  }

  @Test
  void anUnknownMxLookupShowsUnknownNotMissing() {
    LayoutReport unknown =
        new LayoutReport(
            "example.com",
            List.of(
                new Row(
                    new Expected(
                        10,
                        "mail.example.com",
                        Role.PRIMARY,
                        List.of(IpLiterals.parseAddress("192.0.2.10"))),
                    null,
                    List.of(Code.LOOKUP_UNKNOWN))),
            List.of(new Finding(Code.LOOKUP_UNKNOWN, "example.com", "timeout")),
            List.of());
    assertThat(DnsCommand.table(List.of(unknown), "127.0.0.1:53"))
        .contains("  MX 10 mail.example.com primary  MX 10 192.0.2.10  unknown  lookup-unknown\n")
        .endsWith("example.com: 1 finding\n");
  }

  @Test
  void jsonForPrograms() {
    assertThat(DnsCommand.json(List.of(FINE)))
        .isEqualTo(
            "{\"as_configured\":true,\"domains\":[{\"domain\":\"example.org\",\"as_configured\":true,"
                + "\"rows\":[{\"expected\":{\"preference\":10,\"host\":\"mail.example.com\","
                + "\"role\":\"primary\",\"addresses\":[\"192.0.2.10\"]},"
                + "\"found\":{\"preference\":10,\"host\":\"mail.example.com\","
                + "\"addresses\":[\"192.0.2.10\"],\"unknown\":[]},\"verdict\":[]}],"
                + "\"findings\":[],\"notes\":[]}]}\n");
    String json = DnsCommand.json(List.of(FINE, REPORT));
    assertThat(json)
        .startsWith("{\"as_configured\":false,")
        .contains(
            "{\"expected\":{\"preference\":40,\"host\":\"mx3.example.com\",\"role\":\"trap\","
                + "\"addresses\":[\"192.0.2.40\"]},\"found\":null,\"verdict\":[\"missing-mx\"]}")
        .contains(
            "{\"expected\":null,\"found\":{\"preference\":0,\"host\":\".\",\"addresses\":[],"
                + "\"unknown\":[]},\"verdict\":[\"null-mx\"]}")
        .contains("\"unknown\":[\"AAAA\"]")
        .contains(
            "{\"code\":\"revealing-name\",\"subject\":\"spam.example.net\",\"text\":\"\\\"spam\\\"\"}")
        .endsWith("\"notes\":[\"a note\"]}]}\n");
  }

  @Test
  void aRefusalListsEveryReason() {
    assertThat(
            DnsCommand.Plan.refusal(
                "mxtrap.yml", new ZonePlan.Refusal(List.of("first reason", "second reason"))))
        .isEqualTo(
            """
            mxtrap dns plan: no records printed: the layout would not work as a trap (mxtrap.yml):
              - first reason
              - second reason
            """);
  }
}
