package dev.bulwark.policy;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the check pass found out beyond the declarations, for lowering and the canonical form: the
 * value of every checked operand (compiled patterns, resolved lists), the lists the policy uses
 * with their normalized entries (by name, sorted).
 */
final class Checked {

    private final Map<OperandDecl, Object> values;
    private final Map<String, List<String>> usedLists;

    Checked(Map<OperandDecl, Object> values, Map<String, List<String>> usedLists) {
        this.values = new IdentityHashMap<>(values);
        this.usedLists = usedLists;
    }

    /** The value the check pass gave an operand. */
    Object value(OperandDecl operand) {
        Object v = values.get(operand);
        if (v == null) {
            throw new IllegalStateException("operand not checked: " + operand);
        }
        return v;
    }

    Map<String, List<String>> usedLists() {
        return usedLists;
    }
}
