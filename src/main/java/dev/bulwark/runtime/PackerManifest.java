package dev.bulwark.runtime;

import dev.bulwark.json.JsonReader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What Packer's manifest post-processor says about the last build: the {@code custom_data} that
 * {@code packer/bulwark.pkr.hcl} sets ({@code image}, {@code policy_digest}).
 */
record PackerManifest(Optional<String> image, Optional<String> policyDigest) {

    static PackerManifest read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    static PackerManifest parse(String json, String name) {
        Object root;
        try {
            root = JsonReader.parseAnyNumbers(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": not JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> m) || !(m.get("builds") instanceof List<?> builds)) {
            throw new IllegalArgumentException(name + ": not a Packer manifest (no 'builds')");
        }
        if (builds.isEmpty() || !(builds.getLast() instanceof Map<?, ?> last)) {
            throw new IllegalArgumentException(name + ": the Packer manifest lists no build");
        }
        Map<?, ?> custom = last.get("custom_data") instanceof Map<?, ?> c ? c : Map.of();
        return new PackerManifest(text(custom.get("image")), text(custom.get("policy_digest")));
    }

    private static Optional<String> text(Object o) {
        return o instanceof String s && !s.isBlank() ? Optional.of(s) : Optional.empty();
    }

    /** How the manifest disagrees with an image name and a policy digest, if it does. */
    Optional<String> mismatch(String imageName, String digest) {
        if (image.isPresent() && !image.get().equals(imageName)) {
            return Optional.of("Packer built image '" + image.get() + "', not '" + imageName + "'");
        }
        if (policyDigest.isPresent() && !policyDigest.get().equals(digest)) {
            return Optional.of(
                    "Packer built the image for policy " + policyDigest.get() + ", not " + digest);
        }
        return Optional.empty();
    }
}
