package org.mxtrap.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real swaks (Debian package swaks) and returns its transcript. */
final class Swaks {
  private Swaks() {}

  record Result(int exitCode, String transcript) {}

  static Result run(int port, String... args) throws IOException, InterruptedException {
    return run("127.0.0.1", port, args);
  }

  /** swaks to {@code address} (a loopback address literal) and {@code port}. */
  static Result run(String address, int port, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Programs.require("swaks", "swaks").toString());
    cmd.addAll(
        List.of("--server", address + ":" + port, "--timeout", "30", "--helo", "client.test"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("swaks did not finish");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
