package org.mxtrap.app;

import java.io.PrintWriter;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.Callable;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.config.PolicySettings;
import org.mxtrap.core.LayoutEntry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mxtrap postfix-config}: the main.cf and master.cf lines that make Postfix the front door
 * of this host's layout entries, asking mxtrap's policy service ({@link PostfixSnippet}). Exit 0
 * with the lines; 2 when the config has no {@code policy.bind}.
 */
@Command(
    name = "postfix-config",
    mixinStandardHelpOptions = true,
    description = {
      "Print the main.cf and master.cf lines that make Postfix ask mxtrap's policy service"
          + " (policy.bind) about every client, with one smtpd listener for every layout entry"
          + " this host serves (those its listen addresses match), traps included.",
      "Paste the main.cf part into main.cf, the master.cf part into master.cf, then run"
          + " `postfix check` and `postfix reload`. Exit 0 with the lines, 2 when policy.bind is"
          + " not set."
    })
final class PostfixConfigCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Spec CommandSpec spec;

  @Option(names = "--main-cf", description = "print only the main.cf lines")
  boolean mainCf;

  @Option(names = "--master-cf", description = "print only the master.cf lines")
  boolean masterCf;

  @Override
  public Integer call() throws ConfigException {
    MxtrapConfig c = config.load();
    String source = c.source() == null ? "the embedded demo layout" : c.source().toString();
    PolicySettings policy = c.policy();
    SocketAddress bind = policy.bind();
    List<LayoutEntry> served = c.layout().entries().stream().filter(c::serves).toList();
    if (bind == null) {
      PrintWriter err = spec.commandLine().getErr();
      err.println(
          "mxtrap postfix-config: "
              + source
              + ": policy.bind is not set: Postfix would have no policy service to ask");
      err.flush();
      return Cli.EXIT_CONFIG;
    }
    PostfixSnippet snippet =
        new PostfixSnippet(PostfixSnippet.PolicyService.of(bind, policy), served, source);
    boolean both = mainCf == masterCf;
    PrintWriter out = spec.commandLine().getOut();
    if (both || mainCf) {
      out.print(snippet.mainCf());
    }
    if (both) {
      out.println();
    }
    if (both || masterCf) {
      out.print(snippet.masterCf());
    }
    out.flush();
    return 0;
  }
}
