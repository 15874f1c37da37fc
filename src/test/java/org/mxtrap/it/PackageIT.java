package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian package {@code mvn package} builds (jdeb, from src/deb/), as an administrator meets
 * it: its control fields and files, then unpacked into a scratch root ({@code dpkg -x}, nothing
 * installed on this machine) where its {@code /usr/bin/mxtrap} runs the packaged jar, its shipped
 * config passes {@code check-config}, its systemd unit passes {@code systemd-analyze verify}, and
 * {@code serve} tells systemd it is ready once its listeners are bound ({@code Type=notify}).
 */
class PackageIT {
  @TempDir static Path root;
  @TempDir Path dir;

  private static Path deb;

  @BeforeAll
  static void unpack() throws Exception {
    Programs.require("dpkg-deb", "dpkg");
    deb = newestDeb();
    Result x = exec(List.of("dpkg", "-x", deb.toString(), root.toString()), Map.of());
    assertThat(x.exitCode()).as(x.output()).isZero();
  }

  @Test
  void controlFieldsNameTheJavaRuntimesAndTheConffiles() throws Exception {
    Result info = exec(List.of("dpkg-deb", "--info", deb.toString()), Map.of());
    assertThat(info.exitCode()).as(info.output()).isZero();
    assertThat(info.output())
        .contains(" Package: mxtrap\n")
        .contains(" Architecture: all\n")
        .contains(
            " Depends: openjdk-21-jre-headless | openjdk-25-jre-headless | temurin-21-jre"
                + " | temurin-21-jdk | temurin-25-jre | temurin-25-jdk"
                + " | java21-runtime-headless, adduser\n")
        .contains(" postinst ", " prerm ", " postrm ");
    Result conffiles = exec(List.of("dpkg-deb", "--info", deb.toString(), "conffiles"), Map.of());
    assertThat(conffiles.output().lines())
        .containsExactlyInAnyOrder(
            "/etc/mxtrap/mxtrap.yml", "/etc/mxtrap/recipients", "/etc/logrotate.d/mxtrap");
  }

  @Test
  void contentsAreTheJarTheLauncherTheConfigTheUnitAndTheDocs() throws Exception {
    Result contents = exec(List.of("dpkg-deb", "--contents", deb.toString()), Map.of());
    assertThat(contents.exitCode()).as(contents.output()).isZero();
    assertThat(contents.output())
        .containsPattern("-rwxr-xr-x root/root .* \\./usr/bin/mxtrap\n")
        .contains(
            "./usr/share/mxtrap/mxtrap.jar\n",
            "./etc/mxtrap/mxtrap.yml\n",
            "./etc/mxtrap/recipients\n",
            "./etc/logrotate.d/mxtrap\n",
            "./lib/systemd/system/mxtrap.service\n",
            "./usr/share/doc/mxtrap/README.md\n",
            "./usr/share/doc/mxtrap/copyright\n",
            "./usr/share/doc/mxtrap/mxtrap.example.yml\n",
            "./usr/share/doc/mxtrap/docs/configuration.md\n",
            "./usr/share/doc/mxtrap/contrib/prometheus/mxtrap-alerts.yml\n");
    assertThat(Files.readString(root.resolve("etc/logrotate.d/mxtrap")))
        .contains("/var/lib/mxtrap/log/*.jsonl", "rotate 14", "systemctl try-reload-or-restart");
  }

  @Test
  void theLauncherRunsThePackagedJarAndTheShippedConfigIsValid() throws Exception {
    Result version = exec(List.of(launcher(), "--version"), javaHome());
    assertThat(version.exitCode()).as(version.output()).isZero();
    assertThat(version.output()).startsWith("mxtrap ");

    Path config = root.resolve("etc/mxtrap/mxtrap.yml");
    Result check =
        exec(List.of(launcher(), "check-config", "--config", config.toString()), javaHome());
    assertThat(check.exitCode()).as(check.output()).isZero();
    assertThat(check.output()).contains("valid", "data_dir: /var/lib/mxtrap", "listen: 0.0.0.0:25");
  }

  /**
   * {@code systemd-analyze verify} checks that the unit parses, every directive is known and the
   * commands exist; ExecStart names /usr/bin/mxtrap, which is the scratch root's here.
   */
  @Test
  void theUnitPassesSystemdAnalyzeVerify() throws Exception {
    Path analyze = Programs.require("systemd-analyze", "systemd");
    String unit = Files.readString(root.resolve("lib/systemd/system/mxtrap.service"));
    assertThat(unit).contains("Type=notify", "ExecStart=/usr/bin/mxtrap serve");
    Path copy = dir.resolve("mxtrap.service");
    Files.writeString(copy, unit.replace("/usr/bin/mxtrap", launcher()));
    Result verify = exec(List.of(analyze.toString(), "verify", copy.toString()), Map.of());
    assertThat(verify.exitCode()).as(verify.output()).isZero();
    assertThat(verify.output()).isEmpty();
  }

  /**
   * The unit's {@code Type=notify}: {@code serve} sends {@code READY=1} to {@code NOTIFY_SOCKET}
   * (through systemd-notify) only once its listeners accept, and stops with exit 0 on SIGTERM. A
   * python3 datagram socket stands in for systemd; it prints each message it receives.
   */
  @Test
  void serveNotifiesReadinessOnceItsListenersAreBound() throws Exception {
    Programs.require("systemd-notify", "systemd");
    Path python = Programs.requirePython("socket", "python3");
    Path socket = dir.resolve("notify");
    String receiver =
        """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(sys.argv[1])
        s.settimeout(120)
        print("bound", flush=True)
        while True:
            message, fds, flags, address = s.recvmsg(4096, socket.CMSG_SPACE(64))
            print(message.decode(), flush=True)
            if b"READY=1" in message.split(b"\\n"):
                break
        """;
    Process listener =
        new ProcessBuilder(python.toString(), "-c", receiver, socket.toString())
            .redirectErrorStream(true)
            .start();
    TestLayout layout = new TestLayout(dir);
    Path config = layout.write();
    Process server = null;
    try {
      BufferedReader messages =
          new BufferedReader(
              new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8));
      assertThat(messages.readLine()).isEqualTo("bound");
      ProcessBuilder serve =
          new ProcessBuilder(launcher(), "serve", "--config", config.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("server.log").toFile());
      serve.environment().putAll(javaHome());
      serve.environment().put("NOTIFY_SOCKET", socket.toString());
      serve.environment().put("MXTRAP_JAVA_OPTS", "-Xmx256m");
      server = serve.start();
      // Until the receiver ends: at READY=1, or 120 s without a message (a traceback then).
      List<String> received = new ArrayList<>();
      for (String line; (line = messages.readLine()) != null; ) {
        received.add(line);
      }
      assertThat(received).as(Files.readString(dir.resolve("server.log"))).contains("READY=1");
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), layout.primary)) {
        s.setSoTimeout(10_000);
        assertThat(s.getInputStream().read()).isEqualTo('2');
      }
      server.destroy(); // SIGTERM: the graceful stop
      assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(server.exitValue()).isZero();
    } finally {
      listener.destroyForcibly();
      listener.waitFor();
      if (server != null) {
        server.destroyForcibly();
        server.waitFor();
      }
    }
  }

  /**
   * The newest {@code mxtrap_*_all.deb} beside the jar: its name holds the Debian version jdeb
   * makes from the project's ({@code 0.1.0~SNAPSHOT}), which the build does not pass on.
   */
  private static Path newestDeb() throws IOException {
    Path target = MxtrapProcess.jar().toAbsolutePath().getParent();
    try (Stream<Path> files = Files.list(target)) {
      return files
          .filter(p -> p.getFileName().toString().matches("mxtrap_.*_all\\.deb"))
          .max(Comparator.comparing(p -> p.toFile().lastModified()))
          .orElseThrow(() -> new IllegalStateException("no mxtrap_*_all.deb in " + target));
    }
  }

  private static String launcher() {
    return root.resolve("usr/bin/mxtrap").toString();
  }

  /** The launcher takes the test's own Java first, which is 21 or newer. */
  private static Map<String, String> javaHome() {
    return Map.of("JAVA_HOME", System.getProperty("java.home"));
  }

  private record Result(int exitCode, String output) {}

  private static Result exec(List<String> command, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
    b.environment().putAll(env);
    Process p = b.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(Duration.ofMinutes(1).toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", command) + " did not finish");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
