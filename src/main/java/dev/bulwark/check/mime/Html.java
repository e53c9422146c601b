package dev.bulwark.check.mime;

import java.util.Locale;
import java.util.Set;

/**
 * HTML to text for content rules: tags dropped, {@code script} and {@code style} contents dropped,
 * block tags turned into line breaks, character references decoded; the URLs of {@code href},
 * {@code src} and {@code action} attributes are collected as the tags go by.
 */
final class Html {
    private Html() {}

    static void toText(String html, StringBuilder out, Set<String> urlHosts) {
        int len = html.length();
        int i = 0;
        while (i < len) {
            char c = html.charAt(i);
            if (c == '<') {
                int close = html.indexOf('>', i + 1);
                if (close < 0) {
                    break; // an unterminated tag at the end: drop it
                }
                if (html.startsWith("<!--", i)) {
                    int end = html.indexOf("-->", i + 4);
                    i = end < 0 ? len : end + 3;
                    continue;
                }
                String name = tagName(html, i + 1, close);
                if (name.equals("script") || name.equals("style")) {
                    int end = indexOfIgnoreCase(html, "</" + name, close + 1);
                    if (end < 0) {
                        i = len;
                        continue;
                    }
                    int endClose = html.indexOf('>', end);
                    i = endClose < 0 ? len : endClose + 1;
                    continue;
                }
                attributes(html, i + 1, close, urlHosts);
                if (isBlock(name)) {
                    out.append('\n');
                } else if (out.length() > 0
                        && out.charAt(out.length() - 1) != ' '
                        && name.equals("td")) {
                    out.append(' ');
                }
                i = close + 1;
            } else if (c == '&') {
                i = entity(html, i, out);
            } else {
                out.append(c);
                i++;
            }
        }
    }

    private static String tagName(String html, int from, int to) {
        int i = from;
        if (i < to && html.charAt(i) == '/') {
            i++;
        }
        int start = i;
        while (i < to && Character.isLetterOrDigit(html.charAt(i))) {
            i++;
        }
        return html.substring(start, i).toLowerCase(Locale.ROOT);
    }

    private static boolean isBlock(String name) {
        return switch (name) {
            case "br",
                    "p",
                    "div",
                    "tr",
                    "li",
                    "h1",
                    "h2",
                    "h3",
                    "h4",
                    "h5",
                    "h6",
                    "table",
                    "ul",
                    "ol",
                    "blockquote",
                    "hr",
                    "title",
                    "center",
                    "pre" ->
                    true;
            default -> false;
        };
    }

    /** Collects URL attribute values within a tag. */
    private static void attributes(String html, int from, int to, Set<String> urlHosts) {
        int i = from;
        while (i < to) {
            char c = html.charAt(i);
            if (c == 'h' || c == 'H' || c == 's' || c == 'S' || c == 'a' || c == 'A') {
                int nameEnd = i;
                while (nameEnd < to && Character.isLetter(html.charAt(nameEnd))) {
                    nameEnd++;
                }
                String attr = html.substring(i, nameEnd).toLowerCase(Locale.ROOT);
                boolean previousIsSpace = i > from && Character.isWhitespace(html.charAt(i - 1));
                if (previousIsSpace
                        && (attr.equals("href") || attr.equals("src") || attr.equals("action"))) {
                    int j = nameEnd;
                    while (j < to && Character.isWhitespace(html.charAt(j))) {
                        j++;
                    }
                    if (j < to && html.charAt(j) == '=') {
                        j++;
                        while (j < to && Character.isWhitespace(html.charAt(j))) {
                            j++;
                        }
                        int valueStart;
                        int valueEnd;
                        if (j < to && (html.charAt(j) == '"' || html.charAt(j) == '\'')) {
                            char q = html.charAt(j);
                            valueStart = j + 1;
                            // Only within the tag: a search to the end of the document for each
                            // unclosed quote would make a page of them quadratic.
                            valueEnd = valueStart;
                            while (valueEnd < to && html.charAt(valueEnd) != q) {
                                valueEnd++;
                            }
                        } else {
                            valueStart = j;
                            valueEnd = j;
                            while (valueEnd < to
                                    && !Character.isWhitespace(html.charAt(valueEnd))) {
                                valueEnd++;
                            }
                        }
                        String value = html.substring(valueStart, valueEnd);
                        if (value.indexOf('&') >= 0) {
                            StringBuilder decoded = new StringBuilder(value.length());
                            for (int k = 0; k < value.length(); ) {
                                if (value.charAt(k) == '&') {
                                    k = entity(value, k, decoded);
                                } else {
                                    decoded.append(value.charAt(k++));
                                }
                            }
                            value = decoded.toString();
                        }
                        Urls.url(value, urlHosts);
                        i = valueEnd + 1;
                        continue;
                    }
                }
                i = Math.max(nameEnd, i + 1);
                continue;
            }
            i++;
        }
    }

    /** Decodes one character reference at {@code i}; returns the index after it. */
    private static int entity(String s, int i, StringBuilder out) {
        int semi = -1;
        for (int k = i + 1; k < Math.min(s.length(), i + 12); k++) {
            if (s.charAt(k) == ';') {
                semi = k;
                break;
            }
        }
        if (semi < 0) {
            out.append('&');
            return i + 1;
        }
        String name = s.substring(i + 1, semi);
        int cp = -1;
        if (name.startsWith("#x") || name.startsWith("#X")) {
            cp = parse(name.substring(2), 16);
        } else if (name.startsWith("#")) {
            cp = parse(name.substring(1), 10);
        } else {
            cp =
                    switch (name) {
                        case "amp" -> '&';
                        case "lt" -> '<';
                        case "gt" -> '>';
                        case "quot" -> '"';
                        case "apos" -> '\'';
                        case "nbsp" -> ' ';
                        case "copy" -> 0xa9;
                        case "reg" -> 0xae;
                        case "euro" -> 0x20ac;
                        case "pound" -> 0xa3;
                        case "mdash" -> 0x2014;
                        case "ndash" -> 0x2013;
                        case "hellip" -> 0x2026;
                        case "rsquo", "lsquo" -> '\'';
                        case "rdquo", "ldquo" -> '"';
                        default -> -1;
                    };
        }
        if (cp < 0 || cp > 0x10ffff) {
            out.append('&');
            return i + 1;
        }
        out.appendCodePoint(cp == 0 ? 0xfffd : cp);
        return semi + 1;
    }

    private static int parse(String digits, int radix) {
        if (digits.isEmpty() || digits.length() > 7) {
            return -1;
        }
        try {
            return Integer.parseInt(digits, radix);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static int indexOfIgnoreCase(String s, String needle, int from) {
        for (int i = from; i <= s.length() - needle.length(); i++) {
            if (s.regionMatches(true, i, needle, 0, needle.length())) {
                return i;
            }
        }
        return -1;
    }
}
