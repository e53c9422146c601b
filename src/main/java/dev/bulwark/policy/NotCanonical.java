package dev.bulwark.policy;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a component of a declaration record that does not reach the canonical form, and says why.
 * Every other component does (positions aside): {@code CanonicalFormTest} changes each one and
 * expects the canonical form, and so the digest, to change.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
@interface NotCanonical {
    /** Why the component is not part of what the policy does, or where it is covered instead. */
    String value();
}
