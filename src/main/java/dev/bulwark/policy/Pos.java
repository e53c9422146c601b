package dev.bulwark.policy;

/** A position in a policy file, 1-based. */
record Pos(String file, int line, int column) {

    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }

    /** "line 12" when in {@code here}'s file, else "file:12". */
    String relativeTo(Pos here) {
        return here != null && here.file.equals(file) ? "line " + line : file + ":" + line;
    }
}
