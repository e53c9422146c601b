package dev.bulwark.policy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The named lists of a policy while it is checked: the files under {@code lists/} and the {@code
 * lists:} section ({@link ListDecl}). A list has no declared kind: its first use decides it, its
 * entries are checked for that kind then, and a use as another kind is an error.
 */
final class ListTable {

    private record Source(String name, Pos definedAt, List<Located<String>> items) {}

    /** A list resolved for one kind: its canonical entries, sorted and without duplicates. */
    record Resolved(String name, ListKind kind, Pos firstUse, List<String> entries) {}

    private final Map<String, Source> sources = new LinkedHashMap<>();
    private final Map<String, Resolved> resolved = new HashMap<>();
    private final Problems problems;

    ListTable(Problems problems) {
        this.problems = problems;
    }

    /** Defines a list; a second definition of a name is an error. */
    void define(ListDecl list) {
        define(list.name().value(), list.definedAt(), list.entries());
    }

    private void define(String name, Pos at, List<Located<String>> items) {
        Source existing = sources.get(name);
        if (existing != null) {
            problems.error(
                    at,
                    "list '"
                            + name
                            + "' is already defined at "
                            + existing.definedAt.relativeTo(at));
            return;
        }
        sources.put(name, new Source(name, at, items));
    }

    boolean contains(String name) {
        return sources.containsKey(name);
    }

    /** Resolves a reference to a named list for a kind; reports unknown lists and kind clashes. */
    Optional<Resolved> use(String name, ListKind kind, Pos at) {
        Source source = sources.get(name);
        if (source == null) {
            boolean looksLikeEntry =
                    name.indexOf('.') >= 0
                            || name.indexOf('/') >= 0
                            || name.indexOf(':') >= 0
                            || name.indexOf('@') >= 0;
            problems.error(
                    at,
                    "unknown list '"
                            + name
                            + "'"
                            + Suggest.didYouMean(name, sources.keySet())
                            + ": a list is a file lists/"
                            + name
                            + ".txt or an entry under 'lists'"
                            + (looksLikeEntry
                                    ? " (write [" + name + "] for entries in place)"
                                    : ""));
            return Optional.empty();
        }
        Resolved r = resolved.get(name);
        if (r != null && r.kind != kind && compatible(r, kind)) {
            // A domain list serves as an address list (a domain entry matches every address in it),
            // and an address list without addresses is a domain list.
            return Optional.of(r);
        }
        if (r != null) {
            if (r.kind != kind) {
                problems.error(
                        at,
                        "list '"
                                + name
                                + "' is used here as a "
                                + kind.label
                                + " list but as a "
                                + r.kind.label
                                + " list at "
                                + r.firstUse.relativeTo(at));
                return Optional.empty();
            }
            return Optional.of(r);
        }
        Optional<List<String>> entries =
                check(source.items, kind, "list '" + name + "'", source.definedAt);
        if (entries.isEmpty()) {
            resolved.put(name, new Resolved(name, kind, at, List.of()));
            return Optional.empty();
        }
        Resolved res = new Resolved(name, kind, at, entries.get());
        resolved.put(name, res);
        return Optional.of(res);
    }

    private static boolean compatible(Resolved r, ListKind kind) {
        boolean domainsOnly = r.entries.stream().noneMatch(e -> e.indexOf('@') >= 0);
        return (r.kind == ListKind.DOMAIN && kind == ListKind.ADDRESS)
                || (r.kind == ListKind.ADDRESS && kind == ListKind.DOMAIN && domainsOnly);
    }

    /** Checks entries written in place of a list name. */
    Optional<List<String>> inline(List<Located<String>> items, ListKind kind, Pos at) {
        return check(items, kind, "this list", at);
    }

    /** Valid entries of a kind as the canonical form and lookups have them: sorted, distinct. */
    static List<String> normalized(ListKind kind, List<Located<String>> items) {
        TreeMap<String, Located<String>> canonical = new TreeMap<>();
        for (Located<String> item : items) {
            canonical.putIfAbsent(kind.check(item.value()).canonical(), item);
        }
        return List.copyOf(canonical.keySet());
    }

    private Optional<List<String>> check(
            List<Located<String>> items, ListKind kind, String what, Pos definedAt) {
        boolean ok = true;
        TreeMap<String, Located<String>> canonical = new TreeMap<>();
        for (Located<String> item : items) {
            ListKind.Result r = kind.check(item.value());
            if (!r.isOk()) {
                problems.error(item.pos(), r.error());
                ok = false;
                continue;
            }
            Located<String> first = canonical.putIfAbsent(r.canonical(), item);
            if (first != null) {
                problems.warning(
                        item.pos(),
                        "duplicate entry '"
                                + item.value()
                                + "' in "
                                + what
                                + " (first at "
                                + first.pos().relativeTo(item.pos())
                                + ")");
            }
        }
        if (items.isEmpty()) {
            problems.warning(definedAt, what + " is empty: it matches nothing");
        }
        return ok ? Optional.of(List.copyOf(canonical.keySet())) : Optional.empty();
    }

    /** Warns about lists that no rule uses; returns the used lists for the canonical form. */
    Map<String, Resolved> finish() {
        for (Source s : sources.values()) {
            if (!resolved.containsKey(s.name)) {
                problems.warning(s.definedAt, "list '" + s.name + "' is never used");
            }
        }
        return new TreeMap<>(resolved);
    }
}
