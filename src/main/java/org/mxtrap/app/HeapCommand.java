package org.mxtrap.app;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.Callable;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.MxtrapConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code mxtrap heap}: prints the heap size that holds the configuration's limits (see {@link
 * Resources}), in the form {@code -Xmx} takes ({@code 2816m}), at most half of this machine's
 * memory. The launcher asks it before {@code serve} when {@code MXTRAP_JAVA_OPTS} sets no heap.
 */
@Command(
    name = "heap",
    mixinStandardHelpOptions = true,
    description = {
      "Print the heap that holds the configured limits (e.g. 2816m), at most half of this"
          + " machine's memory.",
      "./mxtrap passes it to serve as -Xmx unless MXTRAP_JAVA_OPTS sets one. Exit 2 on a config"
          + " error."
    })
final class HeapCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws ConfigException {
    MxtrapConfig c = config.load();
    long served = c.layout().entries().stream().filter(c::serves).count();
    long heap =
        Resources.heapFor(
            c.limits(),
            c.suppress().tarpitMax(),
            Resources.rememberedMemory(c),
            (int) served,
            c.tls() != null);
    long physical =
        ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    if (physical > 0) {
      heap = Math.max(Resources.MIN_HEAP, Math.min(heap, physical / 2));
    }
    spec.commandLine().getOut().println((heap >> 20) + "m");
    return 0;
  }
}
