#!/usr/bin/env python3
"""Hostile clients and a latency probe for src/bench/attack.sh (loopback only).

  attack.py probe PORT SECONDS OUT        sequential normal messages from 127.0.0.2 for SECONDS;
                                          writes one line per message: "<seconds> <reply code>"
  attack.py attack PORT SECONDS           runs every attack below at once for SECONDS

Attacks (each from its own loopback addresses, 127.0.1.0/24 ... 127.0.6.0/24):
  idle       EHLO, MAIL, RCPT from six addresses, then a NOOP now and then, in 120 sessions
  slowdata   DATA, then one line every second, in 20 sessions
  nested     a 20-level nested message/rfc822 of about 1 MiB, sent over and over
  ehlo       EHLO as fast as the relay answers, in 10 sessions
  connect    connect and close as fast as possible, in 4 loops
"""
import socket, sys, threading, time

def connect(port, local):
    s = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(local, 0))
    f = s.makefile("rb")
    return s, f

def reply(f):
    lines = []
    while True:
        line = f.readline()
        if not line:
            raise ConnectionError("closed")
        lines.append(line)
        if len(line) < 4 or line[3:4] != b"-":
            return lines[-1].decode("ascii", "replace")

def cmd(s, f, text):
    s.sendall(text.encode() + b"\r\n")
    return reply(f)

MESSAGE = b"Subject: load\r\nFrom: a@sender.example\r\n\r\n" + b"normal body line\r\n" * 100 + b".\r\n"

def probe(port, seconds, out):
    end = time.time() + seconds
    with open(out, "w") as o:
        while time.time() < end:
            start = time.time()
            code = "err"
            try:
                s, f = connect(port, "127.0.0.2")
                reply(f)
                cmd(s, f, "EHLO probe.example")
                r = cmd(s, f, "MAIL FROM:<probe@sender.example>")
                if r.startswith("250"):
                    cmd(s, f, "RCPT TO:<probe@example.com>")
                    cmd(s, f, "DATA")
                    s.sendall(MESSAGE)
                    r = reply(f)
                code = r[:3]
                cmd(s, f, "QUIT")
                s.close()
            except Exception as e:
                code = "err"
            o.write("%.6f %s\n" % (time.time() - start, code))

def nested(depth=20, size=1 << 20):
    body = b"Subject: inner\r\n\r\n" + (b"x" * 76 + b"\r\n") * (size // 78)
    for i in range(depth):
        b = b"BOUND%d" % i
        body = (b"Subject: level %d\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n--%s\r\nContent-Type: message/rfc822\r\n\r\n" % (i, b, b)) + body + b"\r\n--" + b + b"--\r\n"
    return body.replace(b"\r\n.", b"\r\n..") + b"\r\n.\r\n"

def forever(fn, stop):
    def run():
        while not stop.is_set():
            try:
                fn(stop)
            except Exception:
                time.sleep(0.05)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t

def attack(port, seconds):
    stop = threading.Event()
    held = []
    def idle(i):
        def go(stop):
            s, f = connect(port, "127.0.%d.%d" % (1 + i % 6, 1 + i // 6 % 200))
            held.append(s)
            reply(f); cmd(s, f, "EHLO idle.example"); cmd(s, f, "MAIL FROM:<x@attacker.example>")
            cmd(s, f, "RCPT TO:<bob@example.com>")
            while not stop.is_set():
                stop.wait(5)
                cmd(s, f, "NOOP")
        return go
    def slowdata(i):
        def go(stop):
            s, f = connect(port, "127.0.%d.%d" % (1 + i % 6, 210 + i % 40))
            held.append(s)
            reply(f); cmd(s, f, "EHLO slow.example"); cmd(s, f, "MAIL FROM:<x@attacker.example>")
            cmd(s, f, "RCPT TO:<bob@example.com>"); cmd(s, f, "DATA")
            while not stop.is_set():
                s.sendall(b"x\r\n")
                stop.wait(1)
        return go
    big = nested()
    def nest(stop):
        s, f = connect(port, "127.0.3.250")
        reply(f); cmd(s, f, "EHLO nested.example")
        while not stop.is_set():
            if cmd(s, f, "MAIL FROM:<x@attacker.example>").startswith("250"):
                cmd(s, f, "RCPT TO:<bob@example.com>"); cmd(s, f, "DATA")
                s.sendall(big); reply(f)
            else:
                stop.wait(0.1)
    def ehlo(stop):
        s, f = connect(port, "127.0.4.251")
        reply(f)
        while not stop.is_set():
            cmd(s, f, "EHLO flood.example")
    def conn(stop):
        s = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=("127.0.5.252", 0))
        s.close()
    for i in range(120):
        forever(idle(i), stop)
    for i in range(20):
        forever(slowdata(i), stop)
    forever(nest, stop)
    for _ in range(10):
        forever(ehlo, stop)
    for _ in range(4):
        forever(conn, stop)
    time.sleep(seconds)
    stop.set()
    for s in held:
        try:
            s.close()
        except Exception:
            pass

if __name__ == "__main__":
    if sys.argv[1] == "probe":
        probe(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
    else:
        attack(int(sys.argv[2]), float(sys.argv[3]))
