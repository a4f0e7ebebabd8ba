package dev.graft.exporter;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The exporter must stay usable without the training engine (an export host, the runtime's tooling), so DJL must not
 * reach its classpath, not even through a transitive dependency.
 */
class NoEngineDependencyTest {
    @Test
    void djlIsNotOnTheClasspath() {
        assertThatThrownBy(() -> Class.forName("ai.djl.Model")).isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> Class.forName("ai.djl.nn.Block")).isInstanceOf(ClassNotFoundException.class);
    }
}
