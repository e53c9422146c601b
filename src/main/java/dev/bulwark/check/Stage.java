package dev.bulwark.check;

/** The SMTP stages at which a policy can decide, in the order a transaction passes them. */
public enum Stage {
    CONNECT,
    HELO,
    MAIL,
    RCPT,
    DATA;

    /** The lower-case name used in the policy language and the audit log. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
