package org.mxtrap.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer token of the admin API, kept in {@code DATA_DIR/admin.token}.
 *
 * <p>File format: the token and a line feed, nothing else. The token is 32 random bytes in
 * base64url without padding (43 characters); an operator may write a token of their own (any
 * non-blank line; surrounding white space is ignored). The file is created with mode 0600 (set at
 * creation, so it is never readable by others, even briefly); a file found with broader permissions
 * is tightened to 0600 with a warning.
 *
 * <p>{@link #toString()} never shows the token. Immutable and thread-safe.
 */
public final class AdminToken {
  private static final Logger log = LoggerFactory.getLogger("admin");

  /** The file's name under the data directory. */
  public static final String FILE = "admin.token";

  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  private final String value;

  private AdminToken(String value) {
    this.value = value;
  }

  /** {@code DATA_DIR/admin.token}. */
  public static Path file(Path dataDir) {
    return dataDir.resolve(FILE);
  }

  /**
   * The token of {@code dataDir}, generated on first use (from {@code random}) and reused after;
   * tightens the file's permissions when they are broader than 0600. For the server.
   *
   * @throws IOException when the file cannot be created, read or written
   */
  public static AdminToken loadOrCreate(Path dataDir, SecureRandom random) throws IOException {
    Path file = file(dataDir);
    Optional<AdminToken> existing = read(dataDir);
    if (existing.isPresent()) {
      tighten(file);
      return existing.get();
    }
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    AdminToken token =
        new AdminToken(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (FileAlreadyExistsException blank) {
      // A blank file, left by a start that died between creating and writing it.
      tighten(file);
    }
    Files.write(
        file,
        (token.value + "\n").getBytes(StandardCharsets.US_ASCII),
        StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.SYNC);
    log.info("created {} (mode 0600): the bearer token of the admin API", file);
    return token;
  }

  /**
   * The token in {@code DATA_DIR/admin.token}, or empty when the file does not exist or is blank.
   * For the CLI.
   *
   * @throws IOException when it exists but cannot be read (permissions)
   */
  public static Optional<AdminToken> read(Path dataDir) throws IOException {
    String text;
    try {
      text = Files.readString(file(dataDir), StandardCharsets.UTF_8).strip();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    return text.isEmpty() ? Optional.empty() : Optional.of(new AdminToken(text));
  }

  private static void tighten(Path file) throws IOException {
    Set<PosixFilePermission> now = Files.getPosixFilePermissions(file);
    if (!OWNER_ONLY.containsAll(now)) {
      Files.setPosixFilePermissions(file, OWNER_ONLY);
      log.warn(
          "{} was {}: set to rw------- (others may have read the token; to change it, delete the"
              + " file and restart)",
          file,
          PosixFilePermissions.toString(now));
    }
  }

  /** The value of an {@code Authorization} header that carries this token. */
  public String authorization() {
    return "Bearer " + value;
  }

  /**
   * Whether {@code authorization} (an {@code Authorization} header value, or null when there was
   * none) carries this token. The scheme is case-insensitive (RFC 9110 11.1); the token is compared
   * in time independent of where it differs.
   */
  public boolean accepts(@Nullable String authorization) {
    if (authorization == null || authorization.length() < 7) {
      return false;
    }
    if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    return matches(authorization.substring(7).strip());
  }

  /**
   * Whether {@code given} is this token (the dashboard's sign-in form), compared in time
   * independent of where it differs.
   */
  boolean matches(String given) {
    return MessageDigest.isEqual(
        given.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "AdminToken[****]";
  }
}
