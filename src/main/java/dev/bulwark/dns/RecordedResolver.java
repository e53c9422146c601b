package dev.bulwark.dns;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Answers from a file of recorded answers instead of the network: deterministic and offline, for
 * the policy gate, {@code check} without DNS, and unit tests. {@link RecordingResolver} writes the
 * same format from live answers.
 *
 * <p>The format is zone-file-like, one entry a line, {@code #} or {@code ;} starting a comment:
 *
 * <pre>
 * example.com.          300 TXT  "v=spf1 ip4:192.0.2.0/24 " "-all"
 * example.com.              MX   10 mail.example.com.
 * mail.example.com.         A    192.0.2.10
 * mail.example.com.         AAAA 2001:db8::10
 * 10.2.0.192.in-addr.arpa.  PTR  mail.example.com.
 * gone.example.com.         NXDOMAIN
 * example.com.              AAAA NODATA
 * slow.example.com.         TXT  TIMEOUT
 * broken.example.com.       TXT  SERVFAIL
 * </pre>
 *
 * <p>The TTL is optional (300 seconds). A TXT record's quoted strings are joined, as DNS clients
 * join character-strings. A question is answered by, in order: its own NODATA, TIMEOUT or SERVFAIL
 * line; its records; the name's NXDOMAIN line; NODATA when the name has records of other types; and
 * otherwise NXDOMAIN, remembering the question in {@link #unrecorded()} so that a gate can say
 * which answers a test case lacks.
 */
public final class RecordedResolver implements DnsResolver {

    private static final Duration DEFAULT_TTL = Duration.ofSeconds(300);

    private record Key(String name, RecordType type) {}

    private final Map<Key, DnsAnswer> answers;
    private final Map<String, DnsAnswer> nonexistent;
    private final Set<String> names;
    private final ReentrantLock lock = new ReentrantLock();
    private final Set<String> unrecorded = new TreeSet<>();

    private RecordedResolver(
            Map<Key, DnsAnswer> answers, Map<String, DnsAnswer> nonexistent, Set<String> names) {
        this.answers = Map.copyOf(answers);
        this.nonexistent = Map.copyOf(nonexistent);
        this.names = Set.copyOf(names);
    }

    /** No recorded answer: every question is NXDOMAIN (and listed as unrecorded). */
    public static RecordedResolver none() {
        return new RecordedResolver(Map.of(), Map.of(), Set.of());
    }

    /** Reads a file of recorded answers. */
    public static RecordedResolver load(Path file) throws IOException, RecordedAnswersException {
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * Reads recorded answers from text; {@code source} names it in diagnostics.
     *
     * @throws RecordedAnswersException with every problem found
     */
    public static RecordedResolver parse(String source, String text)
            throws RecordedAnswersException {
        List<String> problems = new ArrayList<>();
        Map<Key, List<DnsRecord>> records = new HashMap<>();
        Map<Key, Duration> ttls = new HashMap<>();
        Map<Key, DnsAnswer> outcomes = new HashMap<>();
        Map<String, DnsAnswer> nonexistent = new HashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            List<Token> tokens;
            try {
                tokens = tokenize(lines[i]);
            } catch (BadLine e) {
                problems.add(source + ":" + lineNo + ":" + e.column + ": error: " + e.getMessage());
                continue;
            }
            if (tokens.isEmpty()) {
                continue;
            }
            try {
                Entry e = entry(tokens);
                switch (e) {
                    case Entry.Records r -> {
                        records.computeIfAbsent(r.key, k -> new ArrayList<>()).add(r.record);
                        ttls.merge(r.key, r.ttl, (a, b) -> a.compareTo(b) <= 0 ? a : b);
                    }
                    case Entry.Outcome o -> {
                        if (outcomes.putIfAbsent(o.key, o.answer) != null) {
                            throw new BadLine(
                                    tokens.get(0).column,
                                    "a second outcome for " + o.key.name + " " + o.key.type);
                        }
                    }
                    case Entry.Nonexistent n -> nonexistent.put(n.name, n.answer);
                }
            } catch (BadLine e) {
                problems.add(source + ":" + lineNo + ":" + e.column + ": error: " + e.getMessage());
            }
        }
        Map<Key, DnsAnswer> answers = new HashMap<>(outcomes);
        Set<String> names = new HashSet<>();
        records.forEach(
                (key, list) -> {
                    names.add(key.name);
                    if (outcomes.containsKey(key)) {
                        problems.add(
                                source
                                        + ": error: "
                                        + key.name
                                        + " "
                                        + key.type
                                        + " has both records and "
                                        + outcomes.get(key).status());
                    }
                    answers.put(key, DnsAnswer.ok(list, ttls.get(key)));
                });
        for (String name : nonexistent.keySet()) {
            if (names.contains(name)) {
                problems.add(source + ": error: " + name + " has records and NXDOMAIN");
            }
        }
        if (!problems.isEmpty()) {
            throw new RecordedAnswersException(problems);
        }
        return new RecordedResolver(answers, nonexistent, names);
    }

    @Override
    public CompletableFuture<DnsAnswer> lookup(String name, RecordType type) {
        return CompletableFuture.completedFuture(answer(DnsResolver.normalize(name), type));
    }

    private DnsAnswer answer(String name, RecordType type) {
        DnsAnswer a = answers.get(new Key(name, type));
        if (a != null) {
            return a;
        }
        DnsAnswer nx = nonexistent.get(name);
        if (nx != null) {
            return nx;
        }
        if (names.contains(name)) {
            return DnsAnswer.nodata(DEFAULT_TTL);
        }
        lock.lock();
        try {
            unrecorded.add(name + " " + type);
        } finally {
            lock.unlock();
        }
        return new DnsAnswer(
                DnsAnswer.Status.NXDOMAIN, List.of(), DEFAULT_TTL, "not in the recorded answers");
    }

    /** The questions asked so far that the file has no line for ("name TYPE"), sorted. */
    public Set<String> unrecorded() {
        lock.lock();
        try {
            return Set.copyOf(unrecorded);
        } finally {
            lock.unlock();
        }
    }

    private sealed interface Entry {
        record Records(Key key, DnsRecord record, Duration ttl) implements Entry {}

        record Outcome(Key key, DnsAnswer answer) implements Entry {}

        record Nonexistent(String name, DnsAnswer answer) implements Entry {}
    }

    private static Entry entry(List<Token> t) throws BadLine {
        Token nameToken = t.get(0);
        if (nameToken.quoted) {
            throw new BadLine(nameToken.column, "expected a domain name, got a quoted string");
        }
        String name = DnsResolver.normalize(nameToken.text);
        if (name.isEmpty() || name.contains("..")) {
            throw new BadLine(nameToken.column, "'" + nameToken.text + "' is not a domain name");
        }
        int i = 1;
        Duration ttl = DEFAULT_TTL;
        if (i < t.size() && !t.get(i).quoted && t.get(i).text.matches("\\d{1,9}")) {
            ttl = Duration.ofSeconds(Long.parseLong(t.get(i).text));
            i++;
        }
        if (i >= t.size()) {
            throw new BadLine(
                    nameToken.column + nameToken.text.length(),
                    "expected a record type or NXDOMAIN after the name");
        }
        Token typeToken = t.get(i++);
        if (typeToken.text.equalsIgnoreCase("NXDOMAIN") && !typeToken.quoted) {
            if (i < t.size()) {
                throw new BadLine(t.get(i).column, "nothing may follow NXDOMAIN");
            }
            return new Entry.Nonexistent(name, DnsAnswer.nxdomain(ttl));
        }
        RecordType type =
                RecordType.named(typeToken.text)
                        .orElseThrow(
                                () ->
                                        new BadLine(
                                                typeToken.column,
                                                "unknown record type '"
                                                        + typeToken.text
                                                        + "': expected one of A, AAAA, MX, TXT,"
                                                        + " PTR, or NXDOMAIN"));
        Key key = new Key(name, type);
        if (i >= t.size()) {
            throw new BadLine(
                    typeToken.column + typeToken.text.length(),
                    "expected the record's data, or NODATA, TIMEOUT or SERVFAIL");
        }
        Token first = t.get(i);
        if (!first.quoted && i == t.size() - 1) {
            switch (first.text.toUpperCase(java.util.Locale.ROOT)) {
                case "NODATA" -> {
                    return new Entry.Outcome(key, DnsAnswer.nodata(ttl));
                }
                case "TIMEOUT" -> {
                    return new Entry.Outcome(key, DnsAnswer.timeout("recorded"));
                }
                case "SERVFAIL" -> {
                    return new Entry.Outcome(key, DnsAnswer.servfail("recorded"));
                }
                default -> {
                    // record data
                }
            }
        }
        List<Token> data = t.subList(i, t.size());
        return new Entry.Records(key, record(type, data, typeToken), ttl);
    }

    private static DnsRecord record(RecordType type, List<Token> data, Token typeToken)
            throws BadLine {
        switch (type) {
            case A, AAAA -> {
                Token a = single(data, "an address");
                InetAddress address;
                try {
                    address = InetAddress.ofLiteral(a.text);
                } catch (IllegalArgumentException e) {
                    throw new BadLine(a.column, "'" + a.text + "' is not an IP address");
                }
                boolean v4 = address instanceof Inet4Address;
                if ((type == RecordType.A) != v4) {
                    throw new BadLine(
                            a.column,
                            "'"
                                    + a.text
                                    + "' is not an "
                                    + (type == RecordType.A ? "IPv4" : "IPv6")
                                    + " address");
                }
                return DnsRecord.of(type, address.getHostAddress());
            }
            case MX -> {
                if (data.size() != 2 || data.get(0).quoted || data.get(1).quoted) {
                    throw new BadLine(data.get(0).column, "expected MX PREFERENCE HOST");
                }
                int pref;
                try {
                    pref = Integer.parseInt(data.get(0).text);
                } catch (NumberFormatException e) {
                    pref = -1;
                }
                if (pref < 0 || pref > 65535) {
                    throw new BadLine(
                            data.get(0).column,
                            "'" + data.get(0).text + "' is not an MX preference (0 to 65535)");
                }
                return new DnsRecord(type, DnsResolver.normalize(data.get(1).text), pref);
            }
            case PTR -> {
                return DnsRecord.of(type, DnsResolver.normalize(single(data, "a host name").text));
            }
            case TXT -> {
                StringBuilder sb = new StringBuilder();
                for (Token d : data) {
                    if (!d.quoted) {
                        throw new BadLine(
                                d.column, "TXT data must be quoted strings, got '" + d.text + "'");
                    }
                    sb.append(d.text);
                }
                return DnsRecord.of(type, sb.toString());
            }
        }
        throw new BadLine(typeToken.column, "unsupported type " + type);
    }

    private static Token single(List<Token> data, String what) throws BadLine {
        if (data.size() != 1 || data.get(0).quoted) {
            throw new BadLine(data.get(0).column, "expected " + what);
        }
        return data.get(0);
    }

    private record Token(String text, boolean quoted, int column) {}

    private static final class BadLine extends Exception {
        private static final long serialVersionUID = 1L;
        final int column;

        BadLine(int column, String message) {
            super(message);
            this.column = column;
        }
    }

    /** Splits a line into words and quoted strings ({@code \"}, {@code \\}, {@code \DDD}). */
    private static List<Token> tokenize(String line) throws BadLine {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (c == ' ' || c == '\t') {
                i++;
            } else if (c == '#' || c == ';') {
                break;
            } else if (c == '"') {
                int start = i;
                StringBuilder sb = new StringBuilder();
                i++;
                boolean closed = false;
                while (i < n) {
                    char d = line.charAt(i);
                    if (d == '"') {
                        closed = true;
                        i++;
                        break;
                    }
                    if (d == '\\') {
                        if (i + 3 < n
                                && Character.isDigit(line.charAt(i + 1))
                                && Character.isDigit(line.charAt(i + 2))
                                && Character.isDigit(line.charAt(i + 3))) {
                            int v = Integer.parseInt(line.substring(i + 1, i + 4));
                            if (v > 255) {
                                throw new BadLine(i + 1, "\\" + v + " is not an octet");
                            }
                            sb.append((char) v);
                            i += 4;
                            continue;
                        }
                        if (i + 1 >= n) {
                            throw new BadLine(i + 1, "a backslash ends the line");
                        }
                        sb.append(line.charAt(i + 1));
                        i += 2;
                        continue;
                    }
                    sb.append(d);
                    i++;
                }
                if (!closed) {
                    throw new BadLine(start + 1, "unterminated quoted string");
                }
                out.add(new Token(sb.toString(), true, start + 1));
            } else {
                int start = i;
                while (i < n && " \t#;\"".indexOf(line.charAt(i)) < 0) {
                    i++;
                }
                out.add(new Token(line.substring(start, i), false, start + 1));
            }
        }
        return out;
    }

    /** Quotes a TXT value for this format: escapes quote, backslash and non-printable octets. */
    static String quote(String value) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\%03d", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
