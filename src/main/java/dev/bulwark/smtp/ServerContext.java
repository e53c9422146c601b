package dev.bulwark.smtp;

import dev.bulwark.audit.AuditSink;
import dev.bulwark.check.Filter;
import dev.bulwark.check.Limits;
import dev.bulwark.ops.ConnectionListener;
import dev.bulwark.ratelimit.RateLimiter;
import dev.bulwark.relay.NextHop;

import java.time.Clock;

/** What every session of one server shares. */
record ServerContext(
        SmtpSettings settings,
        Filter filter,
        Limits limits,
        RateLimiter limiter,
        NextHop nextHop,
        AuditSink audit,
        Deadlines deadlines,
        Clock clock,
        SessionIds ids,
        ConnectionListener connections) {}
