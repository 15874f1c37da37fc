package org.mxtrap.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the real third-party programs the integration tests talk to. A missing program skips the
 * test loudly on a developer machine and fails it under {@code CI=true}, where .ci/run installs
 * them.
 */
final class Programs {
  private Programs() {}

  static Path require(String name, String debianPackage) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    for (String dir : new String[] {"/usr/sbin", "/usr/bin", "/sbin"}) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    String msg =
        "*** "
            + name
            + " is not installed (apt-get install "
            + debianPackage
            + "): test skipped ***";
    if ("true".equals(System.getenv("CI"))) {
      fail(name + " is required under CI=true but missing (apt-get install " + debianPackage + ")");
    }
    System.err.println(msg);
    Assumptions.abort(msg);
    throw new AssertionError("unreachable");
  }
}
