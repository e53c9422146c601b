import com.google.googlejavaformat.java.Formatter;
import com.google.googlejavaformat.java.FormatterException;
import com.google.googlejavaformat.java.JavaFormatterOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The build's formatter: google-java-format in its AOSP style (four-space indent) over every Java
 * file under the given directories. {@code check} lists the files that are not formatted and exits
 * 1; {@code apply} rewrites them. Run by {@code mvn verify} (check) and {@code mvn -Pformat}
 * (apply) on JDK 25, with google-java-format on the class path.
 */
public final class Style {

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || !(args[0].equals("check") || args[0].equals("apply"))) {
            System.err.println("usage: Style check|apply DIR...");
            System.exit(2);
        }
        boolean apply = args[0].equals("apply");
        List<Path> files = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            Path dir = Path.of(args[i]);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.walk(dir)) {
                s.filter(p -> p.toString().endsWith(".java")).sorted().forEach(files::add);
            }
        }
        Formatter formatter =
                new Formatter(
                        JavaFormatterOptions.builder()
                                .style(JavaFormatterOptions.Style.AOSP)
                                .build());
        List<String> problems =
                files.parallelStream()
                        .map(f -> formatOne(formatter, f, apply))
                        .filter(s -> !s.isEmpty())
                        .sorted()
                        .toList();
        problems.forEach(System.err::println);
        if (!apply && !problems.isEmpty()) {
            System.err.println(
                    problems.size()
                            + " file(s) not formatted: run `mvn -Pformat` (google-java-format, AOSP"
                            + " style)");
            System.exit(1);
        }
        System.out.println(
                (apply ? "formatted " : "style ok: ") + files.size() + " Java files checked");
    }

    private static String formatOne(Formatter formatter, Path file, boolean apply) {
        try {
            String source = Files.readString(file, StandardCharsets.UTF_8);
            String formatted = formatter.formatSourceAndFixImports(source);
            // One pass does not always reach the fixed point (long concatenations re-wrap once).
            for (int pass = 0; pass < 3; pass++) {
                String again = formatter.formatSourceAndFixImports(formatted);
                if (again.equals(formatted)) {
                    break;
                }
                formatted = again;
            }
            if (formatted.equals(source)) {
                return "";
            }
            if (apply) {
                Files.writeString(file, formatted, StandardCharsets.UTF_8);
                return "";
            }
            return file + ": not formatted";
        } catch (FormatterException e) {
            return file + ":" + e.diagnostics().getFirst();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
