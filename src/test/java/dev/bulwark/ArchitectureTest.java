package dev.bulwark;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The structure the code must keep (ADR 0010): packages without cycles, the SMTP server library
 * behind one adapter, and a transaction flow that needs no network.
 */
@AnalyzeClasses(packages = "dev.bulwark", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private ArchitectureTest() {}

    @ArchTest
    static final ArchRule packagesDependOnEachOtherWithoutCycles =
            slices().matching("dev.bulwark.(**)").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule onlyTheSmtpAdapterUsesSubEthaSmtp =
            noClasses()
                    .that()
                    .resideOutsideOfPackage("dev.bulwark.smtp.adapter..")
                    .should()
                    .dependOnClassesThat()
                    .resideInAPackage("org.subethamail..");

    @ArchTest
    static final ArchRule theFlowNeedsNoNetwork =
            noClasses()
                    .that()
                    .resideInAPackage("dev.bulwark.flow..")
                    .should()
                    .dependOnClassesThat()
                    .resideInAnyPackage(
                            "dev.bulwark.smtp..",
                            "dev.bulwark.relay..",
                            "org.subethamail..",
                            "javax.net..")
                    .orShould()
                    .dependOnClassesThat()
                    .haveFullyQualifiedName("java.net.Socket")
                    .orShould()
                    .dependOnClassesThat()
                    .haveFullyQualifiedName("java.net.ServerSocket");
}
