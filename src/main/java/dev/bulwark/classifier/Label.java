package dev.bulwark.classifier;

/** The two classes of training mail. */
public enum Label {
    HAM,
    SPAM;

    /** {@code ham} or {@code spam}, as in diagnostics and tables. */
    public String word() {
        return this == HAM ? "ham" : "spam";
    }
}
