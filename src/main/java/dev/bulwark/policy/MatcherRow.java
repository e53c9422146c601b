package dev.bulwark.policy;

import dev.bulwark.check.Stage;
import dev.bulwark.check.rules.Condition;
import dev.bulwark.check.rules.Matcher;

import org.snakeyaml.engine.v2.nodes.Node;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * One matcher of the policy language: everything the compiler knows about it.
 *
 * @param name the matcher's name as written in the policy (and in the documentation)
 * @param earliest the earliest stage at which the facts it reads are known
 * @param operand how its operand is written and checked
 * @param factory the runtime test for a checked operand
 */
record MatcherRow<D extends OperandDecl, V>(
        String name, Stage earliest, Operand<D, V> operand, Function<? super V, Matcher> factory) {

    MatcherRow {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(earliest, "earliest");
        Objects.requireNonNull(operand, "operand");
        Objects.requireNonNull(factory, "factory");
    }

    Optional<OperandDecl> read(Node node, Problems problems) {
        return operand.read(node, name, problems).map(OperandDecl.class::cast);
    }

    /** Checks an operand this row read; the value is for {@link #lower}. */
    Optional<Object> check(OperandDecl decl, Operand.Checks checks) {
        return operand.check(operand.type().cast(decl), name, checks).map(Object.class::cast);
    }

    /** The runtime condition for a value {@link #check} gave. */
    Condition lower(Object value) {
        @SuppressWarnings("unchecked") // check() gave it, from this row's operand
        V v = (V) value;
        return new Condition.Match(name, earliest, factory.apply(v));
    }

    @Override
    public String toString() {
        return name;
    }
}
