package dev.bulwark.site;

import java.util.List;

/** Site settings that cannot be used; the message names every bad key and value. */
public final class SiteSettingsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public SiteSettingsException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
