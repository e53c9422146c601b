package dev.bulwark.policy;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A condition as written: a matcher with its operand, or {@code all}/{@code any}/{@code not}. A
 * mapping of several keys is {@link All} of them.
 */
sealed interface CondDecl extends Declaration {

    /** Where the condition was written. */
    Pos pos();

    record All(Pos pos, List<CondDecl> all) implements CondDecl {
        public All {
            all = List.copyOf(all);
        }

        @Override
        public Object canonical() {
            return Map.of("all", all.stream().map(CondDecl::canonical).toList());
        }
    }

    record Any(Pos pos, List<CondDecl> any) implements CondDecl {
        public Any {
            any = List.copyOf(any);
        }

        @Override
        public Object canonical() {
            return Map.of("any", any.stream().map(CondDecl::canonical).toList());
        }
    }

    record Not(Pos pos, CondDecl not) implements CondDecl {
        public Not {
            Objects.requireNonNull(not, "not");
        }

        @Override
        public Object canonical() {
            return Map.of("not", not.canonical());
        }
    }

    /** A matcher of the table, at the position of its key, with its operand. */
    record Match(Pos pos, MatcherRow<?, ?> matcher, OperandDecl operand) implements CondDecl {
        public Match {
            Objects.requireNonNull(matcher, "matcher");
            Objects.requireNonNull(operand, "operand");
        }

        /** {@code {NAME: operand}}: the matcher's name as written in the policy is the key. */
        @Override
        public Object canonical() {
            return Map.of(matcher.name(), operand.canonical());
        }
    }
}
