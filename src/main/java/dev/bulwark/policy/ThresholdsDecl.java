package dev.bulwark.policy;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The {@code thresholds:} section: score thresholds, each optional. */
record ThresholdsDecl(
        Pos pos,
        Optional<Located<BigDecimal>> tag,
        Optional<Located<BigDecimal>> quarantine,
        Optional<Located<BigDecimal>> reject)
        implements Declaration {

    /** The thresholds written, by name, in tag, quarantine, reject order. */
    Map<String, Located<BigDecimal>> written() {
        Map<String, Located<BigDecimal>> m = new LinkedHashMap<>();
        tag.ifPresent(v -> m.put("tag", v));
        quarantine.ifPresent(v -> m.put("quarantine", v));
        reject.ifPresent(v -> m.put("reject", v));
        return m;
    }

    @Override
    public Map<String, Object> canonical() {
        Map<String, Object> c = new LinkedHashMap<>();
        written().forEach((k, v) -> c.put(k, v.value()));
        return c;
    }
}
