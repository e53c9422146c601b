package dev.bulwark.auth;

import java.io.IOException;
import java.io.InputStream;

/**
 * Where the engines read a message from: a fresh stream over the whole message as the client sent
 * it, each time it is asked. The flow passes {@code message::open}; the engines need nothing else
 * of the rule engine's {@code Message}, so {@code auth} stays below {@code check} and the rule
 * engine can read authentication results without a package cycle.
 */
@FunctionalInterface
public interface MessageSource {

    InputStream open() throws IOException;
}
