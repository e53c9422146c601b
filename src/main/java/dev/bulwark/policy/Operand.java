package dev.bulwark.policy;

import org.snakeyaml.engine.v2.nodes.Node;

import java.util.Optional;

/**
 * A kind of matcher operand: how it is written (read into a {@link OperandDecl} of type {@code D})
 * and what a checked one means (a value of type {@code V} for the matcher's factory). The kinds are
 * in {@link Operands}; a matcher names its kind in the {@link Matchers} table.
 */
interface Operand<D extends OperandDecl, V> {

    /** What the policy writes, for messages and the documentation: "CIDR list", "pattern". */
    String label();

    /** The declaration type this kind reads. */
    Class<D> type();

    /** Reads an operand; reports what is wrong with its form and gives nothing then. */
    Optional<D> read(Node node, String matcher, Problems problems);

    /**
     * Checks a read operand and gives its value; reports what is wrong with its meaning (a bad list
     * entry, an unknown list, a pattern that does not compile) and gives nothing then.
     */
    Optional<V> check(D operand, String matcher, Checks checks);

    /** What checking an operand may consult besides the operand itself. */
    record Checks(Problems problems, ListTable lists) {}
}
