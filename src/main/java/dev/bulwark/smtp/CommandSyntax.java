package dev.bulwark.smtp;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** How SMTP command lines are spelled: verbs, paths and parameters (RFC 5321 section 4.1). */
final class CommandSyntax {

    private CommandSyntax() {}

    /** The command verb: the line up to the first space. */
    static String verb(String line) {
        int space = line.indexOf(' ');
        return space < 0 ? line.trim() : line.substring(0, space);
    }

    /** {@code true} if the line is the verb alone (surrounding white space allowed). */
    static boolean bare(String line, String verb) {
        return line.trim().equalsIgnoreCase(verb);
    }

    /** What follows a verb of {@code verbLength} characters. */
    static String argument(String line, int verbLength) {
        return line.length() > verbLength ? line.substring(verbLength) : "";
    }

    /**
     * Splits {@code <path> params} after "FROM:" or "TO:". Tolerates a space after the colon and a
     * missing pair of angle brackets, as many real clients need. Returns null on a syntax error.
     */
    static String[] splitPath(String rest) {
        String s = rest.stripLeading();
        if (s.isEmpty()) {
            return null;
        }
        int end;
        if (s.charAt(0) == '<') {
            boolean quoted = false;
            end = -1;
            for (int i = 1; i < s.length(); i++) {
                char ch = s.charAt(i);
                if (ch == '\\' && quoted) {
                    i++;
                } else if (ch == '"') {
                    quoted = !quoted;
                } else if (ch == '>' && !quoted) {
                    end = i + 1;
                    break;
                }
            }
            if (end < 0) {
                return null;
            }
        } else {
            end = s.indexOf(' ');
            if (end < 0) {
                end = s.length();
            }
        }
        String params = s.substring(end);
        if (!params.isEmpty() && params.charAt(0) != ' ') {
            return null;
        }
        return new String[] {s.substring(0, end), params.trim()};
    }

    /** The parameters after a path, split on spaces. */
    static List<String> params(String text) {
        if (text.isBlank()) {
            return List.of();
        }
        return List.of(text.trim().split(" +"));
    }

    /** The length of a command line in octets (it may carry UTF-8 with SMTPUTF8). */
    static int utf8Length(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return s.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        return s.length();
    }
}
