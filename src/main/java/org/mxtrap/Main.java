package org.mxtrap;

import org.mxtrap.app.Cli;
import org.mxtrap.observe.Logs;
import org.mxtrap.smtp.server.TlsContexts;

/** Parses the command line and runs the chosen command; everything else lives in {@code app}. */
public final class Main {
  static {
    // A JVM-wide switch that JSSE reads once, at the first server-side handshake: set it before
    // anything else runs.
    TlsContexts.refuseClientInitiatedRenegotiation();
  }

  private Main() {}

  public static void main(String[] args) {
    int exit = Cli.commandLine().execute(args);
    Logs.shutdown();
    System.exit(exit);
  }
}
