package org.mxtrap.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mxtrap.config.RecipientFile.BadLine;
import org.mxtrap.core.Mailbox;

class RecipientFileTest {
  static final List<String> DOMAINS = List.of("example.com", "xn--bcher-kva.example");

  @TempDir Path dir;

  @Test
  void addressesCatchAllsCommentsAndBlankLines() {
    RecipientFile.Contents c =
        RecipientFile.parse(
            """
            # the people
              alice@example.com
            Bob.Smith@Example.COM.        # a comment after whitespace
            "john doe"@example.com
            "quote\\"and\\\\slash"@example.com
            jürgen@bücher.example
            a#b@example.com

            @example.com	# tab before the comment
            """,
            DOMAINS);
    assertThat(c.bad()).isEmpty();
    assertThat(c.mailboxes())
        .containsExactly(
            new Mailbox("alice", "example.com"),
            new Mailbox("Bob.Smith", "example.com"),
            new Mailbox("john doe", "example.com"),
            new Mailbox("quote\"and\\slash", "example.com"),
            new Mailbox("jürgen", "xn--bcher-kva.example"),
            new Mailbox("a#b", "example.com"));
    assertThat(c.domains()).containsExactly("example.com");
  }

  @Test
  void anEmptyFileListsNothing() {
    RecipientFile.Contents c = RecipientFile.parse("\n# nobody yet\n", DOMAINS);
    assertThat(c.mailboxes()).isEmpty();
    assertThat(c.domains()).isEmpty();
    assertThat(c.bad()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
          alice                         | not an address: alice (write local@domain, or @domain for a catch-all)
          @                             | no domain after @: @
          alice@                        | no domain after @: alice@
          alice@exa_mple.com            | not a valid domain name: exa_mple.com
          alice@[192.0.2.1]             | not a valid domain name: [192.0.2.1]
          alice@example.net             | example.net is not one of domains (example.com, xn--bcher-kva.example): alice@example.net
          @example.net                  | example.net is not one of domains
          `""@example.com`              | an empty local part is never accepted at RCPT: ""@example.com
          a%b@example.com               | a local part with @, % or ! is never accepted at RCPT
          a!b@example.com               | a local part with @, % or ! is never accepted at RCPT
          `"a@b"@example.com`           | a local part with @, % or ! is never accepted at RCPT
          a@b@example.com               | not a valid local part: a@b (quote it
          .alice@example.com            | not a valid local part: .alice
          al..ice@example.com           | not a valid local part: al..ice
          `john doe@example.com`        | one address or @domain a line (a comment after it starts with #): john doe@example.com
          `alice@example.com bob@example.com` | one address or @domain a line
          `"john@example.com`           | unterminated quoted local part: "john@example.com
          `"john"example.com`           | not an address: "john"example.com (expected @domain after the quoted local part)
          """)
  void refusedLinesSayWhy(String line, String message) {
    RecipientFile.Contents c = RecipientFile.parse("alice@example.com\n\n" + line + "\n", DOMAINS);
    assertThat(c.bad()).hasSize(1);
    assertThat(c.bad().get(0).line()).isEqualTo(3);
    assertThat(c.bad().get(0).message()).startsWith(message);
  }

  @Test
  void withoutDomainsToCheckAnyDomainIsTaken() {
    assertThat(RecipientFile.parse("alice@example.net\n", List.of()).mailboxes())
        .containsExactly(new Mailbox("alice", "example.net"));
  }

  @Test
  void manyRefusedLinesAreListedUpToALimitAndCounted() {
    String text = "nonsense\n".repeat(RecipientFile.MAX_LISTED + 5);
    List<BadLine> bad = RecipientFile.parse(text, DOMAINS).bad();
    assertThat(bad).hasSize(RecipientFile.MAX_LISTED + 1);
    assertThat(bad.get(RecipientFile.MAX_LISTED - 1).line()).isEqualTo(RecipientFile.MAX_LISTED);
    assertThat(bad.get(RecipientFile.MAX_LISTED))
        .isEqualTo(new BadLine(0, "and 5 more lines refused"));
  }

  @Test
  void aFileIsReadAsStrictUtf8() throws Exception {
    Path good = dir.resolve("good");
    Files.writeString(good, "jürgen@example.com\n");
    assertThat(RecipientFile.read(good, DOMAINS).mailboxes())
        .containsExactly(new Mailbox("jürgen", "example.com"));
    Path latin1 = dir.resolve("latin1");
    Files.write(latin1, new byte[] {'j', (byte) 0xfc, '@', 'e', 'x', '.', 'c', 'o', 'm', '\n'});
    assertThatThrownBy(() -> RecipientFile.read(latin1, DOMAINS))
        .isInstanceOf(CharacterCodingException.class);
  }
}
