package org.mxtrap;

import org.mxtrap.app.Cli;
import org.mxtrap.observe.Logs;

/** Parses the command line and runs the chosen command; everything else lives in {@code app}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    int exit = Cli.commandLine().execute(args);
    Logs.shutdown();
    System.exit(exit);
  }
}
