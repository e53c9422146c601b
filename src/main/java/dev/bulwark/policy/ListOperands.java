package dev.bulwark.policy;

import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * List operands: a list's name, or its entries written in place ({@code [192.0.2.0/24]}), checked
 * for the kind of entry the matcher takes. {@code relay-domains} is read and checked the same way.
 */
final class ListOperands {
    private ListOperands() {}

    /** A list operand's value: the list's name ({@code inline} for entries in place), entries. */
    record Listed(String label, List<String> entries) {
        Listed {
            entries = List.copyOf(entries);
        }
    }

    /** A list of entries of a kind: a list's name, or the entries in place. */
    static Operand<OperandDecl.ListRef, Listed> of(ListKind kind) {
        return new Operand<>() {
            @Override
            public String label() {
                return kind.label + " list";
            }

            @Override
            public Class<OperandDecl.ListRef> type() {
                return OperandDecl.ListRef.class;
            }

            @Override
            public Optional<OperandDecl.ListRef> read(Node v, String matcher, Problems p) {
                return readList(v, kind, "'" + matcher + "'", p);
            }

            @Override
            public Optional<Listed> check(OperandDecl.ListRef d, String matcher, Checks c) {
                return checkList(d, c.lists());
            }
        };
    }

    static Optional<OperandDecl.ListRef> readList(Node v, ListKind kind, String what, Problems p) {
        if (v instanceof SequenceNode s) {
            if (s.getValue().isEmpty()) {
                p.error(Yaml.pos(v), "an empty list matches nothing");
                return Optional.empty();
            }
            List<Located<String>> items = new ArrayList<>();
            for (Node n : s.getValue()) {
                Values.readString(n, "a " + kind.label, p)
                        .ifPresent(e -> items.add(Located.of(e.value().strip(), e.pos())));
            }
            return Optional.of(new OperandDecl.InlineList(kind, Yaml.pos(v), items));
        }
        if (!Yaml.isScalar(v)) {
            p.error(
                    Yaml.pos(v),
                    what
                            + " takes a list name or a list of "
                            + kind.label
                            + "s, not "
                            + Yaml.describe(v));
            return Optional.empty();
        }
        return Optional.of(
                new OperandDecl.NamedList(kind, Located.of(Yaml.scalar(v), Yaml.pos(v))));
    }

    static Optional<Listed> checkList(OperandDecl.ListRef d, ListTable lists) {
        return switch (d) {
            case OperandDecl.InlineList i ->
                    lists.inline(i.entries(), i.kind(), i.pos()).map(e -> new Listed("inline", e));
            case OperandDecl.NamedList n ->
                    lists.use(n.name().value(), n.kind(), n.pos())
                            .map(r -> new Listed(n.name().value(), r.entries()));
        };
    }
}
