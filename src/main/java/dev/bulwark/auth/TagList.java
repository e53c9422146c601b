package dev.bulwark.auth;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A tag-list ({@code v=1; a=rsa-sha256; ...}) as DKIM signatures and key records (RFC 6376 section
 * 3.2) and DMARC records (RFC 7489 section 6.4) write them: tags in order, each once, whitespace
 * around names and values dropped.
 */
public final class TagList {

    // Compiled once: String.matches compiles its pattern at every call, on every message.
    private static final Pattern TAG_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

    private final Map<String, String> tags;

    private TagList(Map<String, String> tags) {
        this.tags = tags;
    }

    /** The list is malformed: a tag without "=", a bad tag name, or a tag given twice. */
    public static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        public Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** Reads a tag-list; {@code text} may be folded (CRLF before whitespace). */
    public static TagList parse(String text) throws Malformed {
        Map<String, String> tags = new LinkedHashMap<>();
        String unfolded = text.replace("\r\n", "").replace("\n", "");
        for (String spec : unfolded.split(";", -1)) {
            if (spec.isBlank()) {
                continue; // a trailing ";" is allowed
            }
            int eq = spec.indexOf('=');
            if (eq < 0) {
                throw new Malformed("tag without '=': '" + spec.strip() + "'");
            }
            String name = spec.substring(0, eq).strip();
            if (!TAG_NAME.matcher(name).matches()) {
                throw new Malformed("bad tag name '" + name + "'");
            }
            String value = spec.substring(eq + 1).strip();
            if (tags.putIfAbsent(name, value) != null) {
                throw new Malformed("tag '" + name + "' appears twice");
            }
        }
        return new TagList(tags);
    }

    /** The value of a tag (names are case-sensitive, RFC 6376 section 3.2). */
    public Optional<String> get(String name) {
        return Optional.ofNullable(tags.get(name));
    }

    /** The value of a tag in lower case. */
    public Optional<String> lower(String name) {
        return get(name).map(v -> v.toLowerCase(Locale.ROOT));
    }

    /** The first tag's name, for "v= must come first" rules. */
    public Optional<String> first() {
        return tags.keySet().stream().findFirst();
    }
}
