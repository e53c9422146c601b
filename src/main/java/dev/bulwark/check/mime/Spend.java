package dev.bulwark.check.mime;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What one parse has spent of its {@link MessageBudget}, and which budgets ran out. Shared by the
 * MIME walk and the archive reader. Not thread-safe; one per parse.
 */
final class Spend {
    final MessageBudget budget;
    final Work work;
    final List<String> defects;
    final Set<MessageBudget.Kind> exceeded = new LinkedHashSet<>();
    private long decoded;
    private int archiveEntries;

    Spend(MessageBudget budget, Work work, List<String> defects) {
        this.budget = budget;
        this.work = work;
        this.defects = defects;
    }

    /** Records that a budget ran out, once, also as a defect. */
    void exceed(MessageBudget.Kind kind) {
        if (exceeded.add(kind)) {
            Transfer.add(defects, "budget exceeded: " + kind.fact());
        }
    }

    /** Octets decoding may still produce (at most {@link Integer#MAX_VALUE}). */
    int decodedLeft() {
        return (int) Math.min(Integer.MAX_VALUE - 8, Math.max(0, budget.decoded() - decoded));
    }

    void decoded(long octets) {
        decoded += octets;
    }

    /** Takes one archive entry from the budget; false (and recorded) when none is left. */
    boolean archiveEntry() {
        if (archiveEntries >= budget.archiveEntries()) {
            exceed(MessageBudget.Kind.ARCHIVE_ENTRIES);
            return false;
        }
        archiveEntries++;
        return true;
    }
}
