package dev.bulwark.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The Authentication-Results header field (RFC 8601) that a relay adds to every message it passes
 * on, under its authserv-id (the site's host name), and the test that tells an incoming field
 * claiming that same id, which must be removed before the message is relayed (RFC 8601 section 5):
 * otherwise a sender could forge our verdict.
 */
public final class AuthenticationResults {

    public static final String FIELD_NAME = "Authentication-Results";

    private final String authservId;

    /**
     * @param authservId our id, normally the host name; a token or a domain name
     */
    public AuthenticationResults(String authservId) {
        Objects.requireNonNull(authservId, "authservId");
        if (authservId.isBlank() || !authservId.chars().allMatch(AuthenticationResults::isToken)) {
            throw new IllegalArgumentException(
                    "'" + authservId + "' is not a valid authserv-id: expected a host name");
        }
        this.authservId = authservId;
    }

    /**
     * The whole field, "Authentication-Results: id;" and one result a line, folded, CRLF at the end
     * of each line: ready to put above the message.
     */
    public String render(Authentication auth) {
        List<String> items = new ArrayList<>();
        auth.mailFrom().ifPresent(r -> items.add(spf(r, "smtp.mailfrom")));
        auth.helo().ifPresent(r -> items.add(spf(r, "smtp.helo")));
        for (DkimResult d : auth.dkim()) {
            items.add(dkim(d));
        }
        auth.dmarc().ifPresent(r -> items.add(dmarc(r)));
        StringBuilder sb = new StringBuilder(FIELD_NAME).append(": ").append(authservId);
        if (items.isEmpty()) {
            return sb.append("; none\r\n").toString();
        }
        for (int i = 0; i < items.size(); i++) {
            sb.append(";\r\n\t").append(items.get(i));
        }
        return sb.append("\r\n").toString();
    }

    private static String spf(SpfResult r, String property) {
        StringBuilder sb = new StringBuilder("spf=").append(r.result().keyword());
        reason(sb, r.reason());
        return sb.append(' ').append(property).append('=').append(value(r.domain())).toString();
    }

    private static String dkim(DkimResult r) {
        StringBuilder sb = new StringBuilder("dkim=").append(r.result().keyword());
        reason(sb, r.reason());
        if (!r.domain().isEmpty()) {
            sb.append(" header.d=").append(value(r.domain()));
        }
        if (!r.selector().isEmpty()) {
            sb.append(" header.s=").append(value(r.selector()));
        }
        if (!r.algorithm().isEmpty()) {
            sb.append(" header.a=").append(value(r.algorithm()));
        }
        if (!r.signature().isEmpty()) {
            // RFC 6008: enough of the signature to tell several signatures apart.
            String b = r.signature().length() > 12 ? r.signature().substring(0, 12) : r.signature();
            sb.append(" header.b=").append(value(b));
        }
        return sb.toString();
    }

    private static String dmarc(DmarcResult r) {
        StringBuilder sb = new StringBuilder("dmarc=").append(r.result().keyword());
        if (r.result() != DmarcResult.Result.NONE) {
            sb.append(" (p=")
                    .append(r.policy().keyword())
                    .append(" dis=")
                    .append(r.disposition().keyword())
                    .append(')');
        }
        reason(sb, r.reason());
        return sb.append(" header.from=").append(value(r.fromDomain())).toString();
    }

    private static void reason(StringBuilder sb, String reason) {
        if (!reason.isEmpty()) {
            sb.append(" reason=").append(quoted(reason));
        }
    }

    /** A token as is, otherwise a quoted-string (RFC 2045 token, RFC 5322 quoted-string). */
    static String value(String v) {
        if (!v.isEmpty() && v.chars().allMatch(AuthenticationResults::isToken)) {
            return v;
        }
        return quoted(v);
    }

    private static String quoted(String v) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(' '); // no control characters in a header, not even escaped
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    private static boolean isToken(int c) {
        return c > 0x20 && c < 0x7f && "()<>@,;:\\\"/[]?=".indexOf(c) < 0;
    }

    /**
     * True when an incoming Authentication-Results field value (the part after the colon) names our
     * authserv-id: such a field must be removed, since only we may speak for our id. The id is
     * compared without case, after comments and folding whitespace; a version after the id ("id
     * 1;") is allowed. A field that cannot be read at all is not ours.
     */
    public boolean claimsOurId(String fieldValue) {
        return authservIdOf(fieldValue).map(id -> id.equalsIgnoreCase(authservId)).orElse(false);
    }

    /** The authserv-id of an Authentication-Results field value, if it has a readable one. */
    public static java.util.Optional<String> authservIdOf(String fieldValue) {
        String v = fieldValue.replace("\r\n", "").replace("\n", "");
        int i = skipCfws(v, 0);
        if (i >= v.length()) {
            return java.util.Optional.empty();
        }
        if (v.charAt(i) == '"') {
            StringBuilder sb = new StringBuilder();
            for (i++; i < v.length(); i++) {
                char c = v.charAt(i);
                if (c == '\\' && i + 1 < v.length()) {
                    sb.append(v.charAt(++i));
                } else if (c == '"') {
                    return java.util.Optional.of(sb.toString().strip());
                } else {
                    sb.append(c);
                }
            }
            return java.util.Optional.empty();
        }
        int start = i;
        while (i < v.length() && isToken(v.charAt(i))) {
            i++;
        }
        return i == start
                ? java.util.Optional.empty()
                : java.util.Optional.of(v.substring(start, i).toLowerCase(Locale.ROOT));
    }

    private static int skipCfws(String v, int i) {
        while (i < v.length()) {
            char c = v.charAt(i);
            if (c == ' ' || c == '\t') {
                i++;
            } else if (c == '(') {
                int depth = 0;
                while (i < v.length()) {
                    char d = v.charAt(i);
                    if (d == '\\') {
                        i += 2;
                        continue;
                    }
                    if (d == '(') {
                        depth++;
                    } else if (d == ')' && --depth == 0) {
                        i++;
                        break;
                    }
                    i++;
                }
            } else {
                break;
            }
        }
        return i;
    }
}
