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

  /**
   * Requires python3 and its module {@code module} (Debian's {@code debianPackage}): skips loudly
   * without them, fails under {@code CI=true}. Debian's own interpreter when there is one, since a
   * python3 first on the PATH (pyenv, a virtualenv) does not see Debian's modules.
   */
  static Path requirePython(String module, String debianPackage) throws Exception {
    Path debian = Path.of("/usr/bin/python3");
    Path python = Files.isExecutable(debian) ? debian : require("python3", "python3");
    Process p =
        new ProcessBuilder(python.toString(), "-c", "import " + module)
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    if (p.waitFor() != 0) {
      String msg =
          "*** python3 module "
              + module
              + " is not installed (apt-get install "
              + debianPackage
              + "): test skipped ***";
      if ("true".equals(System.getenv("CI"))) {
        fail(msg);
      }
      System.err.println(msg);
      Assumptions.abort(msg);
    }
    return python;
  }
}
