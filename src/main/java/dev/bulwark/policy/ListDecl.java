package dev.bulwark.policy;

import java.util.List;

/**
 * A named list as defined: a file {@code lists/NAME.txt} (defined at its first line) or an entry
 * under {@code lists:}. Its entries are checked when a use decides its kind ({@link ListTable}).
 */
record ListDecl(Located<String> name, Pos definedAt, List<Located<String>> entries) {
    ListDecl {
        entries = List.copyOf(entries);
    }
}
