package org.mxtrap.it;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * One packaged server for all tests of a class, on the demo layout with the settings {@link
 * #layout(Path)} adds; closing it fails the class if the server logged an error of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ServerPerClass {
  @TempDir static Path dir;
  TestLayout layout;
  MxtrapProcess server;

  /** The layout this class's server runs; override to add limits or TLS. */
  TestLayout layout(Path dir) throws Exception {
    return new TestLayout(dir);
  }

  @BeforeAll
  void startServer() throws Exception {
    layout = layout(dir);
    server = layout.start();
  }

  @AfterAll
  void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }
}
