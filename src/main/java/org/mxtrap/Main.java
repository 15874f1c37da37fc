package org.mxtrap;

import org.mxtrap.app.Cli;
import picocli.CommandLine;

/** Parses the command line and runs the chosen command; everything else lives in {@code app}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(Cli.commandLine().execute(args));
  }
}
