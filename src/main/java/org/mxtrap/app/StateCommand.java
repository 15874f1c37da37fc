package org.mxtrap.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.mxtrap.admin.AdminClient;
import org.mxtrap.admin.StateLines;
import org.mxtrap.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mxtrap state export|import}: move the running server's contacts and suppressions to
 * another store, in the JSON lines of {@link StateLines}, through its admin API ({@code GET} and
 * {@code POST /state}). The server must run: the embedded store's contacts live only in its memory.
 */
@Command(
    name = "state",
    mixinStandardHelpOptions = true,
    description = {
      "Move the running server's contacts and suppressions between stores (state.store: local"
          + " and redis), as JSON lines, through its admin API."
    },
    subcommands = {StateCommand.ExportCommand.class, StateCommand.ImportCommand.class})
final class StateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** Without a subcommand: the usage, as a usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return Cli.EXIT_CONFIG;
  }

  /** The problems of a file that import names before it refuses it. */
  static final int MAX_PROBLEMS_SHOWN = 20;

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = {
        "Write every suppression that still counts (active, or ended within the 7-day repeat"
            + " window) and every contact within trap.window to standard output, one JSON object"
            + " a line, an end line with the counts last: mxtrap state export > FILE.",
        "Exit 0 when the whole export arrived, 1 when mxtrap is not running or the export failed"
            + " or broke off part way (then the output has no end line, and import refuses it),"
            + " 2 on a usage or config error."
      })
  static final class ExportCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws ConfigException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      StateLines.Reader reader = new StateLines.Reader();
      try {
        AdminCall.client(config)
            .download(
                "/state",
                line -> {
                  reader.next(line); // an error line stops here, unwritten
                  out.write(line);
                  out.write('\n');
                });
        reader.finish();
        return 0;
      } catch (AdminClient.Failure | IllegalArgumentException e) {
        err.println("state export incomplete: " + e.getMessage());
        return 1;
      } finally {
        out.flush();
      }
    }
  }

  @Command(
      name = "import",
      mixinStandardHelpOptions = true,
      description = {
        "Add the contacts and suppressions of FILE, written by state export of any mxtrap, to the"
            + " running server's store. A suppression already stored is merged: the one that ends"
            + " later is kept, with the larger offence count. A contact older than trap.window, or"
            + " a suppression ended more than 7 days ago, is skipped and counted; a contact this"
            + " server cannot take (a preference not in its layout, a network wider than its"
            + " excuse prefix) is skipped and named by its line.",
        "The whole file is checked first: if any line is malformed, or the end line is missing,"
            + " nothing is imported and the lines are named.",
        "Exit 0 when imported, 1 when the file is refused, mxtrap is not running or the import"
            + " failed, 2 on a usage or config error."
      })
  static final class ImportCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "what state export wrote")
    Path file;

    @Override
    public Integer call() throws ConfigException {
      PrintWriter err = spec.commandLine().getErr();
      List<String> problems;
      try {
        problems = check(file);
      } catch (IOException e) {
        err.println("cannot read " + file + ": " + e.getMessage());
        return 1;
      }
      if (!problems.isEmpty()) {
        problems.forEach(err::println);
        err.println(file + ": refused, nothing imported");
        return 1;
      }
      try {
        String answer = AdminCall.client(config).upload("/state", file, false);
        spec.commandLine().getOut().print(answer);
        spec.commandLine().getOut().flush();
        return 0;
      } catch (AdminClient.Failure f) {
        err.println(f.getMessage());
        return 1;
      }
    }

    /** Every problem of {@code file} as {@code FILE:LINE: why}, the first few of them. */
    private static List<String> check(Path file) throws IOException {
      List<String> problems = new ArrayList<>();
      long more = 0;
      StateLines.Reader reader = new StateLines.Reader();
      try (BufferedReader lines = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        long number = 0;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          number++;
          try {
            reader.next(line);
          } catch (IllegalArgumentException e) {
            if (problems.size() < MAX_PROBLEMS_SHOWN) {
              problems.add(file + ":" + number + ": " + e.getMessage());
            } else {
              more++;
            }
          }
        }
      }
      try {
        reader.finish();
      } catch (IllegalArgumentException e) {
        problems.add(file + ": " + e.getMessage());
      }
      if (more > 0) {
        problems.add(file + ": and " + more + " more malformed lines");
      }
      return problems;
    }
  }
}
