package org.mxtrap.dns;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link RegisteredDomain}: the Public Suffix List through Guava. */
class RegisteredDomainTest {

  @Test
  void aHostUnderAOneLabelSuffixBelongsToTheDomainBelowIt() {
    assertThat(RegisteredDomain.of("mail-ab12.google.com")).contains("google.com");
    assertThat(RegisteredDomain.of("google.com")).contains("google.com");
  }

  @Test
  void aHostUnderATwoLabelSuffixBelongsToTheDomainBelowThatSuffix() {
    assertThat(RegisteredDomain.of("a.b.example.co.uk")).contains("example.co.uk");
  }

  @Test
  void caseAndTheFinalDotDoNotMatter() {
    assertThat(RegisteredDomain.of("MX1.Example.COM.")).contains("example.com");
  }

  @Test
  void aPrivateSuffixSeparatesItsCustomers() {
    assertThat(RegisteredDomain.of("mail.someone.github.io")).contains("someone.github.io");
    // The list has *.compute-1.amazonaws.com: each instance's name is a suffix, no identity.
    assertThat(RegisteredDomain.of("ec2-192-0-2-7.compute-1.amazonaws.com")).isEmpty();
  }

  @Test
  void aPublicSuffixItselfHasNone() {
    assertThat(RegisteredDomain.of("co.uk")).isEmpty();
    assertThat(RegisteredDomain.of("com")).isEmpty();
  }

  @Test
  void anInvalidNameOrAnAddressHasNone() {
    assertThat(RegisteredDomain.of("")).isEmpty();
    assertThat(RegisteredDomain.of("a..example.com")).isEmpty();
    assertThat(RegisteredDomain.of("192.0.2.7")).isEmpty();
    assertThat(RegisteredDomain.of("bad name.example.com")).isEmpty();
  }

  @Test
  void aNameUnderNoKnownSuffixHasNone() {
    assertThat(RegisteredDomain.of("mail.example.invalidtld")).isEmpty();
  }
}
