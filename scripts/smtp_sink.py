#!/usr/bin/env python3
"""A real SMTP server on loopback for tripdesk's tests and benchmarks (aiosmtpd).

Every message received is appended as one JSON line to OUT_DIR/received.jsonl (flushed at
once, so a reader sees it): {"n", "id" (the X-Tripdesk-Message-Id header), "mail_from",
"rcpt_tos", "auth_user"}. With --keep-raw the raw message is also written to OUT_DIR/<n>.eml.
Recipients whose local part starts with "reject" get 550, "tempfail" 451, to test failures.
With --auth USER:PASSWORD the server offers AUTH PLAIN/LOGIN (also without TLS, loopback
only) and refuses mail from clients that did not authenticate.

Prints "READY <port>" on stdout when it accepts connections; stops on SIGTERM/SIGINT.
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, out_dir, keep_raw):
        self.out_dir = out_dir
        self.keep_raw = keep_raw
        self.n = 0
        self.lock = threading.Lock()
        self.log = open(os.path.join(out_dir, "received.jsonl"), "a", encoding="utf-8")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg_id = None
        for line in raw.split(b"\r\n"):
            if not line:
                break
            if line.lower().startswith(b"x-tripdesk-message-id:"):
                msg_id = line.split(b":", 1)[1].strip().decode("ascii", "replace")
        with self.lock:
            self.n += 1
            n = self.n
            if self.keep_raw:
                with open(os.path.join(self.out_dir, f"{n}.eml"), "wb") as f:
                    f.write(raw)
            auth = getattr(session, "auth_data", None)
            user = auth.login.decode() if isinstance(auth, LoginPassword) else None
            self.log.write(json.dumps({
                "n": n,
                "id": msg_id,
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "auth_user": user,
            }) + "\n")
            self.log.flush()
        return "250 OK queued as %d" % n


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--keep-raw", action="store_true")
    p.add_argument("--auth", help="USER:PASSWORD required to send")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    port = a.port or free_port()
    kwargs = {}
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword)
                  and auth_data.login.decode() == user
                  and auth_data.password.decode() == password)
            return AuthResult(success=ok, handled=False, auth_data=auth_data)

        kwargs = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    controller = Controller(Sink(a.out, a.keep_raw), hostname="127.0.0.1", port=port,
                            data_size_limit=50 * 1024 * 1024, **kwargs)
    controller.start()
    print(f"READY {port}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    # Also stop when the parent closes our stdin (the test process died).
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
