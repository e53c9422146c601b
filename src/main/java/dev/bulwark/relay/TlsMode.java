package dev.bulwark.relay;

/** Whether the relay uses STARTTLS towards the next hop. */
public enum TlsMode {
    /** Never. */
    NONE,
    /** When the next hop offers it, without certificate verification (like Postfix's "may"). */
    OPPORTUNISTIC,
    /** Always, with certificate and host name verification; refuse to relay otherwise. */
    REQUIRED
}
