package org.mxtrap.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.IpLiterals;
import org.mxtrap.dns.MxOrder;
import org.mxtrap.dns.Note;
import org.mxtrap.dns.TargetHost;

/** How {@code mxtrap mx} prints an order: the table of the README and the JSON for programs. */
class MxCommandTest {

  private static final MxOrder ORDERED =
      new MxOrder.Ordered(
          "example.com",
          List.of(
              new TargetHost(
                  10,
                  "mail.example.com",
                  List.of(
                      IpLiterals.parseAddress("192.0.2.10"),
                      IpLiterals.parseAddress("2001:db8::10")),
                  List.of()),
              new TargetHost(
                  20,
                  "mx1.example.com",
                  List.of(IpLiterals.parseAddress("198.51.100.5")),
                  List.of()),
              new TargetHost(
                  40,
                  "mx3.example.com",
                  List.of(),
                  List.of(
                      new Note(
                          Note.Kind.UNKNOWN_LOOKUP,
                          "the A lookup could not be made: unknown, TIMEOUT: A mx3.example.com")))),
          List.of());

  @Test
  void aTableOneHostPerLineNotesBelow() {
    assertThat(MxCommand.table(ORDERED))
        .isEqualTo(
            """
            example.com: delivery order (RFC 5321 section 5.1)
              MX 10   mail.example.com  192.0.2.10, 2001:db8::10
              MX 20   mx1.example.com   198.51.100.5
              MX 40   mx3.example.com   (no address)
                      unknown-lookup: the A lookup could not be made: unknown, TIMEOUT: A mx3.example.com
            """);
  }

  @Test
  void aFailureSaysWhichAndWhetherItIsPermanent() {
    MxOrder failed =
        new MxOrder.Failed(
            "example.com",
            MxOrder.Failure.NULL_MX,
            "the domain accepts no mail (null MX, RFC 7505)",
            List.of(),
            List.of(new Note(Note.Kind.NULL_MX, "the only MX record is \"MX 0 .\"")));
    assertThat(MxCommand.table(failed))
        .isEqualTo(
            """
            example.com: no delivery (null-mx, permanent): the domain accepts no mail (null MX, RFC 7505)
              note null-mx: the only MX record is "MX 0 ."
            """);
    assertThat(MxCommand.json(failed))
        .isEqualTo(
            "{\"domain\":\"example.com\",\"result\":\"null-mx\",\"permanent\":true,"
                + "\"reason\":\"the domain accepts no mail (null MX, RFC 7505)\",\"hosts\":[],"
                + "\"notes\":[{\"kind\":\"null-mx\",\"text\":\"the only MX record is \\\"MX 0 .\\\"\"}]}\n");
  }

  @Test
  void jsonForPrograms() {
    assertThat(MxCommand.json(ORDERED))
        .isEqualTo(
            "{\"domain\":\"example.com\",\"result\":\"ordered\",\"hosts\":["
                + "{\"preference\":10,\"host\":\"mail.example.com\","
                + "\"addresses\":[\"192.0.2.10\",\"2001:db8::10\"],\"notes\":[]},"
                + "{\"preference\":20,\"host\":\"mx1.example.com\",\"addresses\":[\"198.51.100.5\"],"
                + "\"notes\":[]},"
                + "{\"preference\":40,\"host\":\"mx3.example.com\",\"addresses\":[],\"notes\":["
                + "{\"kind\":\"unknown-lookup\",\"text\":\"the A lookup could not be made: unknown,"
                + " TIMEOUT: A mx3.example.com\"}]}],\"notes\":[]}\n");
  }
}
