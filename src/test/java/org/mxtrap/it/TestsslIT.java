package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The STARTTLS policy as scanners and real clients see it: testssl.sh (Debian package testssl.sh)
 * finds nothing vulnerable, OpenSSL's client cannot renegotiate and does resume its sessions.
 */
class TestsslIT extends ServerPerClass {
  /**
   * The checks: protocols ({@code -p}), cipher categories ({@code -s}: NULL, export, RC4, 3DES,
   * obsolete CBC, ...) and every vulnerability check ({@code -U}: Heartbleed, CCS, ROBOT, both
   * renegotiation checks, CRIME, POODLE, fallback SCSV, SWEET32, FREAK, DROWN, LOGJAM, BEAST,
   * LUCKY13, RC4). Left out for time: per-cipher enumeration ({@code -e}/{@code -E}; the suites are
   * pinned by TlsContextsTest), client simulation, and the certificate checks of {@code -S}, which
   * would only judge this test's self-signed certificate.
   */
  private static final List<String> CHECKS = List.of("-p", "-s", "-U");

  /** Findings that must be present: the checks for the defects this test guards against. */
  private static final Map<String, String> REQUIRED =
      Map.of(
          "TLS1", "not offered",
          "TLS1_1", "not offered",
          "secure_client_renego", "not vulnerable",
          "LUCKY13", "not vulnerable",
          "cipherlist_AVERAGE", "not offered");

  /** Warnings about testssl's own machine, not about the server. */
  private static final Set<String> LOCAL_WARNINGS = Set.of("engine_problem");

  private static final Set<String> VULNERABLE_SEVERITIES = Set.of("MEDIUM", "HIGH", "CRITICAL");
  private static final Pattern SAYS_VULNERABLE =
      Pattern.compile("(?<!not )vulnerable", Pattern.CASE_INSENSITIVE);

  @Override
  TestLayout layout(Path dir) throws Exception {
    return new TestLayout(dir).tls(resource("rsa-cert.pem"), resource("rsa-key.pem"));
  }

  @Test
  @Timeout(
      value = 15,
      unit = TimeUnit.MINUTES) // testssl has 10 minutes below, more than the default
  void testsslFindsNothingVulnerable() throws Exception {
    Path testssl = Programs.require("testssl", "testssl.sh");
    Path json = dir.resolve("testssl.json");
    Path out = dir.resolve("testssl.out");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                testssl.toString(),
                "--quiet",
                "--color",
                "0",
                "--warnings",
                "off",
                "--nodns",
                "none",
                "--jsonfile",
                json.toString(),
                "--starttls",
                "smtp"));
    cmd.addAll(CHECKS);
    cmd.add("127.0.0.1:" + layout.primary);
    long started = System.nanoTime();
    int exit = runToEnd(cmd, out, Duration.ofMinutes(10));
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
    System.out.println("testssl " + String.join(" ", CHECKS) + ": " + seconds + " s, exit " + exit);
    if (!Files.isRegularFile(json)) {
      fail("testssl wrote no JSON (exit " + exit + "):\n" + Files.readString(out));
    }

    List<JsonObject> findings = new ArrayList<>();
    for (JsonElement e : JsonParser.parseString(Files.readString(json)).getAsJsonArray()) {
      findings.add(e.getAsJsonObject());
    }
    List<String> bad =
        findings.stream()
            .filter(
                f ->
                    VULNERABLE_SEVERITIES.contains(severity(f))
                        || SAYS_VULNERABLE.matcher(finding(f)).find()
                        || ("WARN".equals(severity(f)) && !LOCAL_WARNINGS.contains(id(f))))
            .map(TestsslIT::describe)
            .toList();
    String all = findings.stream().map(TestsslIT::describe).collect(Collectors.joining("\n"));
    assertThat(bad)
        .as("testssl findings that mean vulnerable or not checked; all:\n%s", all)
        .isEmpty();
    REQUIRED.forEach(
        (id, expected) ->
            assertThat(findings.stream().filter(f -> id.equals(id(f))).map(TestsslIT::finding))
                .as("testssl finding %s; all:\n%s", id, all)
                .singleElement()
                .asString()
                .startsWith(expected));
  }

  @Test
  void clientInitiatedRenegotiationIsAnsweredWithAnAlert() throws Exception {
    Path out = dir.resolve("renegotiate.out");
    Process p =
        new ProcessBuilder(sClient("-tls1_2"))
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    try {
      // "R" asks s_client to renegotiate. Its input stays open: only the server's answer can end
      // it, so a server that renegotiated would leave it running until the bounded wait fails.
      OutputStream in = p.getOutputStream();
      in.write("R\n".getBytes(StandardCharsets.US_ASCII));
      in.flush();
      assertThat(p.waitFor(60, TimeUnit.SECONDS))
          .as("s_client still connected after asking to renegotiate:\n%s", Files.readString(out))
          .isTrue();
    } finally {
      destroyTree(p);
    }
    assertThat(Files.readString(out))
        .contains("RENEGOTIATING")
        .containsIgnoringCase("alert handshake failure");
  }

  @Test
  void sessionsResumeOverStarttls() throws Exception {
    assertResumes("TLS 1.3, ticket", "-tls1_3");
    assertResumes("TLS 1.2, ticket", "-tls1_2");
    assertResumes("TLS 1.2, session ID", "-tls1_2", "-no_ticket");
  }

  private void assertResumes(String how, String... options) throws Exception {
    Path session = Files.createTempFile(dir, "session", ".pem");
    String first = quitOverTls(session, "-sess_out", options);
    assertThat(first).as(how).containsPattern("(?m)^New, TLSv1\\.[23]");
    String second = quitOverTls(session, "-sess_in", options);
    assertThat(second).as(how).containsPattern("(?m)^Reused, TLSv1\\.[23]");
  }

  /**
   * One STARTTLS session that sends QUIT and reads to the server's close, so a TLS 1.3 ticket sent
   * after the handshake has arrived before s_client saves the session.
   */
  private String quitOverTls(Path session, String sessionOption, String... options)
      throws Exception {
    List<String> cmd = sClient(options);
    cmd.addAll(List.of("-ign_eof", sessionOption, session.toString()));
    Path out = Files.createTempFile(dir, "s_client", ".out");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write("QUIT\n".getBytes(StandardCharsets.US_ASCII));
    }
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("s_client did not finish").isTrue();
    } finally {
      destroyTree(p);
    }
    String transcript = Files.readString(out);
    assertThat(transcript).contains("221 ");
    return transcript;
  }

  private List<String> sClient(String... options) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Programs.require("openssl", "openssl").toString(),
                "s_client",
                "-starttls",
                "smtp",
                "-crlf",
                "-connect",
                "127.0.0.1:" + layout.primary));
    cmd.addAll(List.of(options));
    return cmd;
  }

  /** Runs {@code cmd} with its output in {@code out}; the whole process tree ends by the limit. */
  private static int runToEnd(List<String> cmd, Path out, Duration limit)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    try {
      if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        fail(cmd.get(0) + " did not finish in " + limit + ":\n" + Files.readString(out));
      }
      return p.exitValue();
    } finally {
      destroyTree(p);
    }
  }

  /** Ends {@code p} and whatever it started (testssl runs openssl children). */
  private static void destroyTree(Process p) throws InterruptedException {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    p.waitFor();
  }

  private static String id(JsonObject f) {
    return f.get("id").getAsString();
  }

  private static String severity(JsonObject f) {
    return f.get("severity").getAsString();
  }

  private static String finding(JsonObject f) {
    return f.get("finding").getAsString();
  }

  private static String describe(JsonObject f) {
    return id(f) + " [" + severity(f) + "] " + finding(f);
  }

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(TestsslIT.class.getResource("/tls/" + name).toURI());
  }
}
