package dev.bulwark.flow;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The message as it should reach the next hop, CRLF line endings, not yet dot-stuffed: the relay
 * stuffs it and adds the final dot.
 */
@FunctionalInterface
public interface Payload {

    void writeTo(OutputStream out) throws IOException;
}
