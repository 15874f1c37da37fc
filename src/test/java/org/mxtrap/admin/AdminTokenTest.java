package org.mxtrap.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokenTest {
  @TempDir Path dataDir;

  Path file() {
    return dataDir.resolve("admin.token");
  }

  String mode() throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(file()));
  }

  @Test
  void theFirstStartWrites32RandomBytesInBase64UrlIntoAnOwnerOnlyFile() throws Exception {
    AdminToken token = AdminToken.loadOrCreate(dataDir, new SecureRandom());
    assertThat(mode()).isEqualTo("rw-------");
    String content = Files.readString(file());
    assertThat(content).matches("[A-Za-z0-9_-]{43}\n");
    assertThat(token.authorization()).isEqualTo("Bearer " + content.strip());
    assertThat(token.toString()).doesNotContain(content.strip());
  }

  @Test
  void laterStartsReuseTheToken() throws Exception {
    AdminToken first = AdminToken.loadOrCreate(dataDir, new SecureRandom());
    AdminToken again = AdminToken.loadOrCreate(dataDir, new SecureRandom());
    assertThat(again.authorization()).isEqualTo(first.authorization());
    assertThat(AdminToken.read(dataDir))
        .hasValueSatisfying(t -> assertThat(t.authorization()).isEqualTo(first.authorization()));
  }

  @Test
  void aTokenFileReadableByOthersIsTightenedAndKept() throws Exception {
    Files.writeString(file(), "operator-chosen-token\n");
    Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-r--r--"));
    AdminToken token = AdminToken.loadOrCreate(dataDir, new SecureRandom());
    assertThat(mode()).isEqualTo("rw-------");
    assertThat(token.authorization()).isEqualTo("Bearer operator-chosen-token");
  }

  @Test
  void aBlankFileLeftByACrashGetsAFreshToken() throws Exception {
    Files.createFile(
        file(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    assertThat(AdminToken.read(dataDir)).isEmpty();
    AdminToken token = AdminToken.loadOrCreate(dataDir, new SecureRandom());
    assertThat(Files.readString(file())).isEqualTo(token.authorization().substring(7) + "\n");
    assertThat(mode()).isEqualTo("rw-------");
  }

  @Test
  void noFileIsNoToken() throws Exception {
    assertThat(AdminToken.read(dataDir)).isEmpty();
    assertThat(Files.exists(file())).isFalse();
  }

  @Test
  void acceptsOnlyItsOwnBearerToken() throws Exception {
    Files.writeString(file(), "s3cret\n");
    AdminToken token = AdminToken.read(dataDir).orElseThrow();
    assertThat(token.accepts("Bearer s3cret")).isTrue();
    assertThat(token.accepts("bearer s3cret")).as("the scheme is case-insensitive").isTrue();
    assertThat(token.accepts("Bearer s3cre")).isFalse();
    assertThat(token.accepts("Bearer s3cret2")).isFalse();
    assertThat(token.accepts("Basic s3cret")).isFalse();
    assertThat(token.accepts("s3cret")).isFalse();
    assertThat(token.accepts("Bearer ")).isFalse();
    assertThat(token.accepts(null)).isFalse();
  }
}
