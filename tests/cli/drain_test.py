#!/usr/bin/env python3
"""proxyctl reload --wait-drained against a real proxyd: it returns once the last session of
an older generation has closed, exits 4 naming what still pins when its TIMEOUT passes, 130
when interrupted, and follows proxyd --drain-timeout closing the old sessions itself.

Usage: drain_test.py PROXYCTL PROXYD SOURCE_DIR TEST_NAME   (TEST_NAME "all" runs every test)
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from real_proxyd import RealProxyd, free_port  # noqa: E402
from schemas import loads_valid  # noqa: E402
from script_tests import Result, check, script_main  # noqa: E402

PROXYCTL = ""
PROXYD = ""
SOURCE_DIR = ""


class Echo:
    """Echoes every byte back on 127.0.0.1 until closed."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn):
        with conn:
            while True:
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                conn.sendall(data)

    def close(self):
        self.listener.close()


class Setup:
    """A noforce SOCKS service on an ephemeral port, proxyd with `options`."""

    def __init__(self, tmp, options=()):
        self.echo = Echo()
        self.port = free_port()
        config = "auth none\nnoforce\nsocks -p%d -i127.0.0.1\n" % self.port
        self.proxyd = RealProxyd(PROXYD, tmp, config, self._answers, options)

    def _answers(self, path):
        return subprocess.run([PROXYCTL, "status", "--socket", path],
                              capture_output=True).returncode == 0

    def session(self):
        """A SOCKS5 connection to the echo server, checked to relay."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.sendall(b"\x05\x01\x00")
        check(s.recv(2) == b"\x05\x00", "socks method accepted")
        s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + self.echo.port.to_bytes(2, "big"))
        check(s.recv(10)[:2] == b"\x05\x00", "socks connect succeeded")
        s.sendall(b"ping")
        check(s.recv(4) == b"ping", "the session relays")
        return s

    def reload(self, *args):
        return subprocess.Popen([PROXYCTL, "reload", "--socket", self.proxyd.socket, *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def waiting_reload(self, what, *args):
        """An old session, then a reload with `args` checked (`what`) to be still waiting for
        it a while later: the session and the reload's process."""
        old = self.session()
        proc = self.reload(*args)
        time.sleep(0.8)
        check(proc.poll() is None, what)
        return old, proc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proxyd.stop()
        self.echo.close()


def finish(proc, timeout=15):
    out, err = proc.communicate(timeout=timeout)
    return Result(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))


def test_returns_when_the_last_old_session_closes(tmp):
    with Setup(tmp) as s:
        old, proc = s.waiting_reload("still waiting while the old session lives",
                                     "--wait-drained=20s")
        old.close()
        t0 = time.monotonic()
        r = finish(proc)
        check(r.rc == 0, "exit 0 once drained", r)
        check(time.monotonic() - t0 < 5, "returned soon after the close", r)
        check("generation 2" in r.out and "drained: no session of a generation before 2" in r.out,
              "the record, then the drain", r)


def test_timeout_exits_4_and_names_what_pins(tmp):
    with Setup(tmp) as s:
        old = s.session()
        t0 = time.monotonic()
        r = finish(s.reload("--wait-drained=1s"))
        check(r.rc == 4, "exit 4 when the timeout passes", r)
        check(time.monotonic() - t0 >= 0.9, "not before the timeout", r)
        check("not drained after" in r.err and "generation 1: 1 session" in r.err
              and "no drain deadline" in r.err, "what still pins", r)
        r = finish(s.reload("--wait-drained=300ms", "--json"))
        check(r.rc == 4, "exit 4 with --json too", r)
        doc = loads_valid(SOURCE_DIR, "reload", r.out, "reload --wait-drained --json")
        drained = doc["drained"]
        check(doc["ok"] and not drained["drained"] and drained["waited_ms"] >= 300, "not drained",
              doc)
        check([(p["generation"], p["sessions"]) for p in drained["pinned_generations"]] == [(1, 1)],
              "only generation 1 pins: generation 2 never had a session", doc)
        old.close()


def test_follows_the_daemons_drain_timeout(tmp):
    with Setup(tmp, ["--drain-timeout", "1s"]) as s:
        old = s.session()
        t0 = time.monotonic()
        r = finish(s.reload("--wait-drained", "--json"))
        check(r.rc == 0, "drained by proxyd's deadline", r)
        check(time.monotonic() - t0 >= 0.9, "not before the deadline", r)
        doc = loads_valid(SOURCE_DIR, "reload", r.out, "reload --wait-drained --json")
        check(doc["drained"]["drained"] and doc["drained"]["pinned_generations"] == [],
              "drained", doc)
        check(old.recv(16) == b"", "the old session was closed")
        check(s.proxyd.wait_for_output("drain timeout: generation 1 superseded"),
              "proxyd logged the closure", s.proxyd.output())


def test_interrupt_exits_130_and_says_what_pins(tmp):
    with Setup(tmp) as s:
        old, proc = s.waiting_reload("waiting without a timeout", "--wait-drained")
        proc.send_signal(signal.SIGINT)
        r = finish(proc, timeout=5)
        check(r.rc == 130, "exit 130 on Ctrl-C", r)
        check("interrupted after" in r.err and "generation 1: 1 session" in r.err,
              "what still pinned", r)
        old.close()


def test_usage_errors(tmp):
    with Setup(tmp) as s:
        r = finish(s.reload("--wait-drained=5x"))
        check(r.rc == 2 and "unknown unit 'x'" in r.err, "a bad TIMEOUT", r)
        r = finish(s.reload("--wait-drained", "--dry-run"))
        check(r.rc == 2 and "--dry-run applies nothing" in r.err, "with --dry-run", r)
        r = finish(s.reload("--wait-drained", "--signal"))
        check(r.rc == 2 and "control socket only" in r.err, "with --signal", r)


def main():
    return script_main(globals(), __doc__, "proxyd-drain-", ("PROXYCTL", "PROXYD", "SOURCE_DIR"))


if __name__ == "__main__":
    sys.exit(main())
