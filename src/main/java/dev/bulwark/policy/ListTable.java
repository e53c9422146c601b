package dev.bulwark.policy;

import org.snakeyaml.engine.v2.nodes.Node;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The named lists of a policy, from files under {@code lists/} (one entry a line, {@code #}
 * comments) and from the {@code lists:} section. A list has no declared kind: its first use decides
 * it, its entries are checked for that kind then, and a use as another kind is an error.
 */
final class ListTable {

    record Item(String text, Pos pos) {}

    private record Source(String name, Pos definedAt, List<Item> items) {}

    /** A list resolved for one kind: its canonical entries, sorted and without duplicates. */
    record Resolved(String name, ListKind kind, Pos firstUse, List<String> entries) {}

    private final Map<String, Source> sources = new LinkedHashMap<>();
    private final Map<String, Resolved> resolved = new HashMap<>();
    private final Problems problems;

    ListTable(Problems problems) {
        this.problems = problems;
    }

    void addFile(String name, String file, String text) {
        List<Item> items = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            String content = hash >= 0 ? line.substring(0, hash) : line;
            String entry = content.strip();
            if (entry.isEmpty()) {
                continue;
            }
            int column = content.indexOf(entry.charAt(0)) + 1;
            Pos pos = new Pos(file, i + 1, column);
            if (entry.chars().anyMatch(Character::isWhitespace)) {
                problems.error(pos, "'" + entry + "' has spaces: a list has one entry a line");
                continue;
            }
            items.add(new Item(entry, pos));
        }
        define(name, new Pos(file, 1, 1), items);
    }

    void addInline(String name, Pos at, List<Node> nodes) {
        define(name, at, items(nodes, "an entry of list '" + name + "'"));
    }

    private void define(String name, Pos at, List<Item> items) {
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

    private List<Item> items(List<Node> nodes, String what) {
        List<Item> items = new ArrayList<>();
        for (Node n : nodes) {
            Yaml.string(n, what, problems)
                    .ifPresent(s -> items.add(new Item(s.strip(), Yaml.pos(n))));
        }
        return items;
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

    /** Checks inline entries written in place of a list name. */
    Optional<List<String>> inline(List<Node> nodes, ListKind kind, Pos at) {
        if (nodes.isEmpty()) {
            problems.error(at, "an empty list matches nothing");
            return Optional.empty();
        }
        return check(items(nodes, "a " + kind.label), kind, "this list", at);
    }

    private Optional<List<String>> check(
            List<Item> items, ListKind kind, String what, Pos definedAt) {
        boolean ok = true;
        TreeMap<String, Item> canonical = new TreeMap<>();
        for (Item item : items) {
            ListKind.Result r = kind.check(item.text);
            if (!r.isOk()) {
                problems.error(item.pos, r.error());
                ok = false;
                continue;
            }
            Item first = canonical.putIfAbsent(r.canonical(), item);
            if (first != null) {
                problems.warning(
                        item.pos,
                        "duplicate entry '"
                                + item.text
                                + "' in "
                                + what
                                + " (first at "
                                + first.pos.relativeTo(item.pos)
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
