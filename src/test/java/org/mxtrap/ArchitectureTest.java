package org.mxtrap;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The package arrows of STYLE.md, held from the first commit. */
@AnalyzeClasses(packages = "org.mxtrap", importOptions = ImportOption.DoNotIncludeTests.class)
public class ArchitectureTest {

  @ArchTest
  public static final ArchRule coreUsesOnlyTheJdk =
      classes()
          .that()
          .resideInAPackage("org.mxtrap.core..")
          .should()
          .onlyDependOnClassesThat()
          .resideInAnyPackage("org.mxtrap.core..", "java..", "org.jspecify..");

  @ArchTest
  public static final ArchRule protocolNeverSeesPolicyOrQueue =
      noClasses()
          .that()
          .resideInAnyPackage("org.mxtrap.smtp..", "org.mxtrap.postfix..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("org.mxtrap.policy..", "org.mxtrap.queue..", "org.mxtrap.delivery..");

  @ArchTest
  public static final ArchRule nothingImportsAppOrAdmin =
      noClasses()
          .that()
          .resideOutsideOfPackages("org.mxtrap.app..", "org.mxtrap.admin..")
          .and()
          .doNotHaveFullyQualifiedName("org.mxtrap.Main")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("org.mxtrap.app..", "org.mxtrap.admin..");

  /** Admin sees the host through its own ports ({@code admin.Host}), wired by app. */
  @ArchTest
  public static final ArchRule adminSeesTheHostOnlyThroughItsPorts =
      noClasses()
          .that()
          .resideInAPackage("org.mxtrap.admin..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "org.mxtrap.policy..",
              "org.mxtrap.state..",
              "org.mxtrap.queue..",
              "org.mxtrap.delivery..");

  /** One JSON library, behind one facade: {@code observe.Json}. */
  @ArchTest
  public static final ArchRule onlyObserveImportsGson =
      noClasses()
          .that()
          .resideOutsideOfPackage("org.mxtrap.observe..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("com.google.gson..");

  @ArchTest
  public static final ArchRule onlyDnsImportsDnsjava =
      noClasses()
          .that()
          .resideOutsideOfPackage("org.mxtrap.dns..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("org.xbill..")
          .allowEmptyShould(true);

  @ArchTest
  public static final ArchRule onlyTheCliUsesTheLayoutTools =
      noClasses()
          .that()
          .resideOutsideOfPackages("org.mxtrap.app..", "org.mxtrap.dns.layout..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("org.mxtrap.dns.layout..");

  @ArchTest
  public static final ArchRule onlyConfigReadsYaml =
      noClasses()
          .that()
          .resideOutsideOfPackage("org.mxtrap.config..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("org.yaml..");

  @ArchTest
  public static final ArchRule onlyTheCliUsesPicocli =
      noClasses()
          .that()
          .resideOutsideOfPackage("org.mxtrap.app..")
          .and()
          .doNotHaveFullyQualifiedName("org.mxtrap.Main")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("picocli..");

  @ArchTest
  static final ArchRule onlyObserveKnowsTheLoggingBackend =
      noClasses()
          .that()
          .resideOutsideOfPackage("org.mxtrap.observe..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("ch.qos.logback..");

  @ArchTest
  static final ArchRule onlyStateTalksToDatabases =
      noClasses()
          .that()
          .resideOutsideOfPackage("org.mxtrap.state..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("java.sql..", "org.sqlite..", "redis..");

  @ArchTest
  static final ArchRule onlyTheRedisStoreImportsLettuce =
      noClasses()
          .that()
          .resideOutsideOfPackage("org.mxtrap.state.redis..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("io.lettuce..", "io.netty..", "reactor..");

  @ArchTest
  static final ArchRule protocolNeverSeesState =
      noClasses()
          .that()
          .resideInAnyPackage("org.mxtrap.smtp..", "org.mxtrap.postfix..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("org.mxtrap.state..");

  /** The protocol takes its own settings records; app builds them from the configuration. */
  @ArchTest
  static final ArchRule protocolNeverSeesConfig =
      noClasses()
          .that()
          .resideInAnyPackage("org.mxtrap.smtp..", "org.mxtrap.postfix..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("org.mxtrap.config..");

  /** Guava is there for the Public Suffix List ({@code dns.RegisteredDomain}) only. */
  @ArchTest
  static final ArchRule onlyDnsImportsGuava =
      noClasses()
          .that()
          .resideOutsideOfPackage("org.mxtrap.dns")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("com.google.common..");

  /** The Prometheus client is behind {@code observe.Metrics}: admin serves it, app wires it. */
  @ArchTest
  static final ArchRule onlyObserveImportsPrometheus =
      noClasses()
          .that()
          .resideOutsideOfPackage("org.mxtrap.observe..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("io.prometheus..");
}
