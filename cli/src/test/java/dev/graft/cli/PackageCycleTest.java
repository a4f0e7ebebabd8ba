package dev.graft.cli;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * No two Graft packages depend on each other, directly or around a loop, in any module: a cycle means neither package
 * can be understood, tested or moved without the other. Run here because the cli's test class path is the one that
 * holds every module's classes (files, image, models, trainer, exporter, runtime-edge, benchmarks, cli); the generated
 * protobuf classes count as their package like any other. Tests are left out: a test may reach across packages.
 */
class PackageCycleTest {
    @Test
    void graftPackagesAreFreeOfCycles() {
        JavaClasses classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.graft");
        slices().matching("dev.graft.(**)").should().beFreeOfCycles().check(classes);
    }
}
