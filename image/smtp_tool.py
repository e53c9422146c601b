#!/usr/bin/env python3
"""SMTP helpers for the image boot test (Python standard library only).

  sink --port-file F --dir D     next hop for the guest: accepts every message and stores it as
                                 D/<n>.eml; writes the port it bound (127.0.0.1, ephemeral) to F
  free-port                      prints a free loopback TCP port (for qemu's hostfwd)
  wait-banner --port P --deadline S
                                 polls 127.0.0.1:P until a "220" greeting arrives, at most S seconds;
                                 prints the greeting and the seconds waited
  probe --port P --wait S        connects to 127.0.0.1:P (a qemu hostfwd) and prints what the guest
                                 did within S seconds: "silent" (its firewall dropped the SYN),
                                 "closed" (reset: nothing listens, nothing filters) or "open <line>"
  send --port P --mail-from A --rcpt B --message F
                                 one SMTP transaction; prints the server's final reply "CODE text"
                                 and exits 0 whatever the code (the caller asserts on it)
  audit-chain --posture F        checks the guest's audit chain from its posture report: the
                                 "audit-line" lines (the journal's audit lines) each carry the
                                 SHA-256 of the line before, and "audit-version" (the relay's
                                 /version) names as head the hash of one of them; prints what it
                                 found, exits 1 on any break
"""
import argparse
import hashlib
import json
import os
import smtplib
import re
import socket
import socketserver
import sys
import threading
import time


class SinkHandler(socketserver.StreamRequestHandler):
    timeout = 60

    def reply(self, line):
        self.wfile.write((line + "\r\n").encode("ascii"))
        self.wfile.flush()

    def handle(self):
        self.reply("220 sink.boot-test ESMTP")
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            cmd = raw.decode("latin-1").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink.boot-test")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 2.0.0 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    line = self.rfile.readline(1 << 20)
                    if not line:
                        return
                    if line in (b".\r\n", b".\n"):
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                self.server.store(b"".join(lines))
                self.reply("250 2.0.0 stored")
            elif verb == "QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                self.reply("502 5.5.2 not implemented")


class Sink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, directory):
        super().__init__(("127.0.0.1", 0), SinkHandler)
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    def store(self, data):
        # Each message is written under a temporary name and renamed, so a reader never sees half.
        with self.lock:
            self.count += 1
            path = os.path.join(self.directory, "%04d.eml" % self.count)
        with open(path + ".part", "wb") as f:
            f.write(data)
        os.rename(path + ".part", path)


def sink(args):
    os.makedirs(args.dir, exist_ok=True)
    server = Sink(args.dir)
    with open(args.port_file + ".part", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".part", args.port_file)
    server.serve_forever()


def free_port(_args):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def wait_banner(args):
    start = time.monotonic()
    deadline = start + args.deadline
    last = "no attempt"
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", args.port), timeout=5) as s:
                s.settimeout(10)
                # qemu's hostfwd accepts before the guest listens, then closes: read a real line.
                line = s.makefile("rb").readline(1024).decode("latin-1").strip()
                if line.startswith("220"):
                    s.sendall(b"QUIT\r\n")
                    print("%s\t%.1f" % (line, time.monotonic() - start))
                    return 0
                last = "greeting %r" % line
        except OSError as e:
            last = str(e)
        time.sleep(1)
    print("no 220 greeting within %ss (last: %s)" % (args.deadline, last), file=sys.stderr)
    return 1


def probe(args):
    # qemu's hostfwd accepts at once and only then tries the guest: a reset from the guest shows as
    # end-of-stream, a dropped SYN as silence until qemu gives up.
    with socket.create_connection(("127.0.0.1", args.port), timeout=5) as s:
        s.settimeout(args.wait)
        try:
            data = s.recv(1024)
        except socket.timeout:
            print("silent")
            return 0
        except ConnectionResetError:
            data = b""
    print("open " + data.decode("latin-1").strip() if data else "closed")
    return 0


def send(args):
    with open(args.message, "rb") as f:
        # SMTP lines end with CRLF; smtplib sends bytes as they are, and Bulwark refuses bare LF.
        message = re.sub(rb"\r?\n", b"\r\n", f.read())
    try:
        with smtplib.SMTP("127.0.0.1", args.port, timeout=120) as client:
            client.ehlo("boot-test.bulwark.test")
            client.sendmail(args.mail_from, [args.rcpt], message)
            # sendmail raises on every non-2xx; the final reply of a success is the DATA answer.
            print("250 accepted")
    except smtplib.SMTPDataError as e:
        print("%d %s" % (e.smtp_code, e.smtp_error.decode("latin-1")))
    except smtplib.SMTPRecipientsRefused as e:
        code, text = next(iter(e.recipients.values()))
        print("%d %s" % (code, text.decode("latin-1")))
    except smtplib.SMTPResponseException as e:
        print("%d %s" % (e.smtp_code, e.smtp_error.decode("latin-1")))
    except (smtplib.SMTPServerDisconnected, OSError) as e:
        # Not a reply: the caller's check fails on it, and the test goes on to the guest's report.
        print("no reply: %s: %s" % (type(e).__name__, e))
    return 0


def audit_chain(args):
    """The chain in the journal must be whole, and hold the head /version reports (ADR 0018)."""
    lines, version = [], None
    with open(args.posture, "rb") as f:
        for raw in f.read().split(b"\n"):
            raw = raw.rstrip(b"\r")
            if raw.startswith(b"audit-line "):
                lines.append(raw[len(b"audit-line "):])
            elif raw.startswith(b"audit-version "):
                version = raw[len(b"audit-version "):]
    if not lines:
        print("no audit lines in the journal")
        return 1
    try:
        head = json.loads(version)
        records, head_hash = int(head["audit_chain_records"]), head["audit_chain_head"]
    except (TypeError, ValueError, KeyError) as e:
        print("no audit chain head on /version (%s): %r" % (type(e).__name__, version))
        return 1
    prev_hash, prev_seq, found = None, None, None
    for n, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
            seq, prev = record["seq"], record["prev"]
        except (ValueError, KeyError) as e:
            print("audit line %d: not a chained record (%s)" % (n, e))
            return 1
        if record.get("kind") == "genesis":
            if seq != 0 or prev != "0" * 64:
                print("audit line %d: a genesis line with seq %s, prev %s" % (n, seq, prev))
                return 1
        elif prev_hash is None:
            print("audit line %d: seq %s with no genesis line before it" % (n, seq))
            return 1
        elif seq != prev_seq + 1 or prev != prev_hash:
            print("audit line %d: seq %s prev %s does not follow seq %s with hash %s"
                  % (n, seq, prev, prev_seq, prev_hash))
            return 1
        prev_hash, prev_seq = hashlib.sha256(line).hexdigest(), seq
        if prev_hash == head_hash:
            found = (n, seq)
    if found is None:
        print("head %s (%d records) is the hash of none of the %d audit lines in the journal"
              % (head_hash, records, len(lines)))
        return 1
    if found[1] != records - 1:
        print("head %s is line seq %d, but /version counts %d records" % (head_hash, found[1], records))
        return 1
    print("head %s is audit line %d of %d in the journal (seq %d); the chain is whole"
          % (head_hash, found[0], len(lines), found[1]))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sink")
    p.add_argument("--port-file", required=True)
    p.add_argument("--dir", required=True)
    p.set_defaults(run=sink)
    p = sub.add_parser("free-port")
    p.set_defaults(run=free_port)
    p = sub.add_parser("wait-banner")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--deadline", type=float, required=True)
    p.set_defaults(run=wait_banner)
    p = sub.add_parser("probe")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--wait", type=float, required=True)
    p.set_defaults(run=probe)
    p = sub.add_parser("send")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mail-from", required=True)
    p.add_argument("--rcpt", required=True)
    p.add_argument("--message", required=True)
    p.set_defaults(run=send)
    p = sub.add_parser("audit-chain")
    p.add_argument("--posture", required=True)
    p.set_defaults(run=audit_chain)
    args = parser.parse_args()
    return args.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
