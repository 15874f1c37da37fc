package org.mxtrap.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.IpLiterals;
import org.mxtrap.core.Addresses;
import org.mxtrap.observe.Events;
import org.mxtrap.testing.FakeClock;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;

/**
 * {@link StubResolver} against scripted DNS servers on loopback: the three outcomes, tries and
 * retries over several resolvers, TCP after truncation, CNAMEs, and the cache on a fake clock.
 */
class StubResolverTest {

  private static final Duration TIMEOUT = Duration.ofMillis(300);

  private final FakeClock clock = new FakeClock();
  private final List<FakeDnsServer> servers = new ArrayList<>();

  @AfterEach
  void stopServers() throws Exception {
    for (FakeDnsServer s : servers) {
      s.close();
    }
  }

  private FakeDnsServer server(FakeDnsServer.Script script) throws Exception {
    FakeDnsServer s = new FakeDnsServer(script);
    servers.add(s);
    return s;
  }

  private StubResolver resolver(int retries, FakeDnsServer... asked) {
    return new StubResolver(
        java.util.Arrays.stream(asked).map(FakeDnsServer::address).toList(),
        TIMEOUT,
        retries,
        clock,
        100,
        Events.NONE);
  }

  private static Name n(String name) {
    return Name.fromConstantString(name.endsWith(".") ? name : name + ".");
  }

  private static InetAddress ip(String text) {
    return IpLiterals.parseAddress(text);
  }

  private static ARecord a(String name, long ttl, String address) {
    return new ARecord(n(name), DClass.IN, ttl, ip(address));
  }

  private static CNAMERecord cname(String alias, long ttl, String target) {
    return new CNAMERecord(n(alias), DClass.IN, ttl, n(target));
  }

  /** A negative answer's authority: the zone's SOA with this TTL and MINIMUM. */
  private static Message withSoa(Message reply, long ttl, long minimum) {
    reply.addRecord(
        new SOARecord(
            n("example.test"),
            DClass.IN,
            ttl,
            n("ns.example.test"),
            n("hostmaster.example.test"),
            1,
            3600,
            600,
            86400,
            minimum),
        Section.AUTHORITY);
    return reply;
  }

  private static Message answer(Message query, Record... records) {
    return FakeDnsServer.withAnswers(FakeDnsServer.reply(query, Rcode.NOERROR), List.of(records));
  }

  // --- found, not found, unknown -------------------------------------------------------------

  @Test
  void recordsAreFoundAndKeptForTheirTtl() throws Exception {
    FakeDnsServer s = server((q, tcp) -> answer(q, a("host.example.test", 300, "192.0.2.1")));
    StubResolver dns = resolver(0, s);

    Answer<InetAddress> first = dns.a("host.example.test");
    assertThat(first)
        .isEqualTo(
            new Answer.Found<>(List.of(ip("192.0.2.1")), Duration.ofSeconds(300), List.of()));
    assertThat(((Answer.Found<InetAddress>) first).values().get(0).toString())
        .as("no host name attached")
        .isEqualTo("/192.0.2.1");

    clock.advance(Duration.ofSeconds(100));
    assertThat(dns.a("HOST.example.test."))
        .as("from the cache, with the TTL that remains")
        .isEqualTo(
            new Answer.Found<>(List.of(ip("192.0.2.1")), Duration.ofSeconds(200), List.of()));
    assertThat(s.received).hasSize(1);

    clock.advance(Duration.ofSeconds(200));
    dns.a("host.example.test");
    assertThat(s.received).as("asked again once the TTL ran out").hasSize(2);
  }

  @Test
  void theCacheKeepsNothingLongerThanADay() throws Exception {
    FakeDnsServer s = server((q, tcp) -> answer(q, a("host.example.test", 604800, "192.0.2.1")));
    StubResolver dns = resolver(0, s);
    assertThat(dns.a("host.example.test")).isInstanceOf(Answer.Found.class);
    clock.advance(Duration.ofDays(1));
    dns.a("host.example.test");
    assertThat(s.received).hasSize(2);
  }

  @Test
  void nxdomainIsKeptForTheSoasNegativeTtl() throws Exception {
    FakeDnsServer s = server((q, tcp) -> withSoa(FakeDnsServer.reply(q, Rcode.NXDOMAIN), 600, 60));
    StubResolver dns = resolver(0, s);
    assertThat(dns.a("gone.example.test"))
        .isEqualTo(
            new Answer.NotFound<>(Answer.Absence.NXDOMAIN, Duration.ofSeconds(60), List.of()));
    clock.advance(Duration.ofSeconds(59));
    dns.a("gone.example.test");
    assertThat(s.received).as("negative caching (RFC 2308)").hasSize(1);
    clock.advance(Duration.ofSeconds(1));
    dns.a("gone.example.test");
    assertThat(s.received).hasSize(2);
  }

  @Test
  void anEmptyAnswerIsNodata() throws Exception {
    FakeDnsServer s = server((q, tcp) -> withSoa(FakeDnsServer.reply(q, Rcode.NOERROR), 30, 300));
    assertThat(resolver(0, s).mx("host.example.test"))
        .isEqualTo(new Answer.NotFound<>(Answer.Absence.NODATA, Duration.ofSeconds(30), List.of()));
  }

  @Test
  void servfailIsUnknownRetriedAndNeverKept() throws Exception {
    FakeDnsServer s = server((q, tcp) -> FakeDnsServer.reply(q, Rcode.SERVFAIL));
    StubResolver dns = resolver(1, s);
    Answer<MxRecord> answer = dns.mx("example.test");
    assertThat(answer).isInstanceOf(Answer.Unknown.class);
    Answer.Unknown<MxRecord> u = (Answer.Unknown<MxRecord>) answer;
    assertThat(u.failure()).isEqualTo(Answer.Failure.SERVFAIL);
    assertThat(u.detail()).contains("MX example.test").contains("SERVFAIL").contains("(2 tries)");
    assertThat(s.received).hasSize(2);
    dns.mx("example.test");
    assertThat(s.received).as("an unknown outcome is not cached").hasSize(4);
  }

  @Test
  void refusedIsUnknown() throws Exception {
    FakeDnsServer s = server((q, tcp) -> FakeDnsServer.reply(q, Rcode.REFUSED));
    Answer<String> answer = resolver(0, s).txt("example.test");
    assertThat(answer).isInstanceOf(Answer.Unknown.class);
    assertThat(((Answer.Unknown<String>) answer).failure()).isEqualTo(Answer.Failure.REFUSED);
    assertThat(answer.describe()).startsWith("unknown, REFUSED: TXT example.test: ");
  }

  @Test
  void silenceIsATimeoutAfterEveryTry() throws Exception {
    FakeDnsServer s = server((q, tcp) -> null);
    Answer<InetAddress> answer = resolver(2, s).a("host.example.test");
    assertThat(answer).isInstanceOf(Answer.Unknown.class);
    Answer.Unknown<InetAddress> u = (Answer.Unknown<InetAddress>) answer;
    assertThat(u.failure()).isEqualTo(Answer.Failure.TIMEOUT);
    assertThat(u.detail())
        .isEqualTo(
            "A host.example.test: "
                + Addresses.literal(s.address().getAddress(), s.address().getPort())
                + ": no answer within 300ms (3 tries)");
    assertThat(s.received).hasSize(3);
  }

  // --- several resolvers ----------------------------------------------------------------------

  @Test
  void theNextResolverIsAskedWhenOneFails() throws Exception {
    FakeDnsServer broken = server((q, tcp) -> FakeDnsServer.reply(q, Rcode.SERVFAIL));
    FakeDnsServer silent = server((q, tcp) -> null);
    FakeDnsServer good = server((q, tcp) -> answer(q, a("host.example.test", 60, "192.0.2.1")));
    assertThat(resolver(0, broken, silent, good).a("host.example.test"))
        .isInstanceOf(Answer.Found.class);
    assertThat(broken.received).hasSize(1);
    assertThat(silent.received).hasSize(1);
    assertThat(good.received).hasSize(1);
  }

  @Test
  void whenAllFailTheMostTellingFailureIsReportedWithEveryResolversLastWord() throws Exception {
    FakeDnsServer silent = server((q, tcp) -> null);
    FakeDnsServer broken = server((q, tcp) -> FakeDnsServer.reply(q, Rcode.SERVFAIL));
    Answer.Unknown<InetAddress> u =
        (Answer.Unknown<InetAddress>) resolver(1, silent, broken).a("host.example.test");
    assertThat(u.failure()).isEqualTo(Answer.Failure.SERVFAIL);
    assertThat(u.detail()).contains(": no answer within 300ms; ").contains(": SERVFAIL (4 tries)");
    assertThat(silent.received).hasSize(2);
    assertThat(broken.received).hasSize(2);
  }

  @Test
  void aNxdomainFromTheFirstResolverIsTheAnswer() throws Exception {
    FakeDnsServer first = server((q, tcp) -> FakeDnsServer.reply(q, Rcode.NXDOMAIN));
    FakeDnsServer second = server((q, tcp) -> answer(q, a("host.example.test", 60, "192.0.2.1")));
    assertThat(resolver(0, first, second).a("host.example.test"))
        .isInstanceOf(Answer.NotFound.class);
    assertThat(second.received).isEmpty();
  }

  // --- transport ------------------------------------------------------------------------------

  @Test
  void aTruncatedAnswerIsAskedAgainOverTcp() throws Exception {
    FakeDnsServer s =
        server(
            (q, tcp) -> {
              if (!tcp) {
                Message m = FakeDnsServer.reply(q, Rcode.NOERROR);
                m.getHeader().setFlag(Flags.TC);
                return m;
              }
              return answer(
                  q,
                  new MXRecord(n("example.test"), DClass.IN, 300, 10, n("a.example.test")),
                  new MXRecord(n("example.test"), DClass.IN, 300, 20, n("b.example.test")));
            });
    Answer<MxRecord> answer = resolver(0, s).mx("example.test");
    assertThat(answer).isInstanceOf(Answer.Found.class);
    assertThat(((Answer.Found<MxRecord>) answer).values())
        .containsExactly(new MxRecord(10, "a.example.test"), new MxRecord(20, "b.example.test"));
    assertThat(s.received).containsExactly("udp MX example.test.", "tcp MX example.test.");
  }

  @Test
  void anAnswerToAnotherQuestionIsABadAnswer() throws Exception {
    FakeDnsServer s =
        server(
            (q, tcp) -> {
              Message m = new Message(q.getHeader().getID());
              m.getHeader().setFlag(Flags.QR);
              m.addRecord(
                  Record.newRecord(n("other.example.test"), q.getQuestion().getType(), DClass.IN),
                  Section.QUESTION);
              return m;
            });
    Answer<InetAddress> answer = resolver(0, s).a("host.example.test");
    assertThat(((Answer.Unknown<InetAddress>) answer).failure())
        .isEqualTo(Answer.Failure.BAD_ANSWER);
  }

  // --- CNAMEs and referrals -------------------------------------------------------------------

  @Test
  void cnamesInTheAnswerAreFollowedAndReported() throws Exception {
    FakeDnsServer s =
        server(
            (q, tcp) ->
                answer(
                    q,
                    cname("alias.example.test", 600, "middle.example.test"),
                    cname("middle.example.test", 120, "real.example.test"),
                    a("real.example.test", 300, "192.0.2.4"),
                    a("unrelated.example.test", 300, "192.0.2.99")));
    assertThat(resolver(0, s).a("alias.example.test"))
        .isEqualTo(
            new Answer.Found<>(
                List.of(ip("192.0.2.4")),
                Duration.ofSeconds(120),
                List.of(
                    new Answer.Alias("alias.example.test", "middle.example.test"),
                    new Answer.Alias("middle.example.test", "real.example.test"))));
  }

  @Test
  void aChainTheResolverLeftUnfinishedIsAskedOn() throws Exception {
    FakeDnsServer s =
        server(
            (q, tcp) ->
                q.getQuestion().getName().equals(n("alias.example.test"))
                    ? answer(q, cname("alias.example.test", 600, "real.example.test"))
                    : answer(q, a("real.example.test", 300, "192.0.2.4")));
    Answer<InetAddress> answer = resolver(0, s).a("alias.example.test");
    assertThat(answer).isInstanceOf(Answer.Found.class);
    assertThat(((Answer.Found<InetAddress>) answer).aliases())
        .containsExactly(new Answer.Alias("alias.example.test", "real.example.test"));
    assertThat(s.received).containsExactly("udp A alias.example.test.", "udp A real.example.test.");
  }

  @Test
  void aCnameLoopIsABadAnswer() throws Exception {
    FakeDnsServer s =
        server(
            (q, tcp) ->
                answer(
                    q,
                    cname("one.example.test", 60, "two.example.test"),
                    cname("two.example.test", 60, "one.example.test")));
    Answer<InetAddress> answer = resolver(0, s).a("one.example.test");
    assertThat(((Answer.Unknown<InetAddress>) answer).failure())
        .isEqualTo(Answer.Failure.BAD_ANSWER);
    assertThat(answer.describe()).contains("CNAME loop");
  }

  @Test
  void aReferralFromAServerThatDoesNotRecurseIsUnknownNotNodata() throws Exception {
    FakeDnsServer s =
        server(
            (q, tcp) -> {
              Message m = FakeDnsServer.reply(q, Rcode.NOERROR);
              m.getHeader().unsetFlag(Flags.RA);
              m.addRecord(
                  new NSRecord(n("example.test"), DClass.IN, 3600, n("ns.example.test")),
                  Section.AUTHORITY);
              return m;
            });
    Answer<MxRecord> answer = resolver(0, s).mx("example.test");
    assertThat(((Answer.Unknown<MxRecord>) answer).failure()).isEqualTo(Answer.Failure.BAD_ANSWER);
    assertThat(answer.describe()).contains("a referral").contains("recursive resolver");
  }

  // --- record types ---------------------------------------------------------------------------

  @Test
  void namesComeBackLowerCaseWithoutTheFinalDotAndTheRootAsADot() throws Exception {
    FakeDnsServer s =
        server(
            (q, tcp) ->
                answer(
                    q,
                    new MXRecord(n("example.test"), DClass.IN, 300, 0, Name.root),
                    new MXRecord(n("example.test"), DClass.IN, 300, 10, n("MAIL.Example.TEST"))));
    assertThat(((Answer.Found<MxRecord>) resolver(0, s).mx("Example.Test")).values())
        .containsExactly(new MxRecord(0, "."), new MxRecord(10, "mail.example.test"));
  }

  @Test
  void aaaaPtrAndTxt() throws Exception {
    FakeDnsServer s =
        server(
            (q, tcp) ->
                switch (q.getQuestion().getType()) {
                  case org.xbill.DNS.Type.AAAA ->
                      answer(
                          q,
                          new AAAARecord(
                              n("host.example.test"), DClass.IN, 300, ip("2001:db8::1")));
                  case org.xbill.DNS.Type.PTR ->
                      answer(
                          q,
                          new PTRRecord(
                              q.getQuestion().getName(), DClass.IN, 300, n("Host.Example.Test")));
                  default ->
                      answer(
                          q,
                          new TXTRecord(
                              n("example.test"), DClass.IN, 300, List.of("v=spf1 ", "-all")));
                });
    StubResolver dns = resolver(0, s);
    assertThat(((Answer.Found<InetAddress>) dns.aaaa("host.example.test")).values())
        .containsExactly(ip("2001:db8::1"));
    assertThat(((Answer.Found<String>) dns.ptr(ip("::ffff:192.0.2.1"))).values())
        .containsExactly("host.example.test");
    assertThat(((Answer.Found<String>) dns.txt("example.test")).values())
        .containsExactly("v=spf1 -all");
    assertThat(s.received).contains("udp PTR 1.2.0.192.in-addr.arpa.");
  }

  @Test
  void anInvalidNameIsTheCallersBug() throws Exception {
    StubResolver dns = resolver(0, server((q, tcp) -> null));
    assertThatThrownBy(() -> dns.a("a..example.test"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a valid DNS name: a..example.test");
  }
}
