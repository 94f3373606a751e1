"""proxyctl explain through the real binary: on files (text, --json, exit statuses), on
the generation a real proxyd runs (--live), and for a live session (--session) driven
through a tcppm service to a loopback echo server.

Usage: explain_test.py PROXYCTL PROXYD SOURCE_DIR TEST_NAME   ("all" runs every test)
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from fake_proxyd import FakeProxyd  # noqa: E402
from real_proxyd import RealProxyd, free_port  # noqa: E402
from schemas import loads_valid  # noqa: E402
from script_tests import Result, check, script_main, write  # noqa: E402

PROXYCTL = ""
PROXYD = ""
SOURCE_DIR = ""

CONFIG = """users alice:CL:wonderland bob:CL:builder
auth strong
deny bob * * 25
allow alice,bob * * 1-1024
socks -i127.0.0.1 -p1080
flush
auth iponly
allow * 127.0.0.1
maxconn 7
tcppm -i127.0.0.1 2525 127.0.0.1 25
"""


def run(*args, timeout=30):
    env = {k: v for k, v in os.environ.items() if k not in ("PROXYCTL_SOCKET", "NO_COLOR")}
    r = Result(subprocess.run([PROXYCTL, *args], capture_output=True, timeout=timeout, env=env))
    check("terminate called" not in r.err and r.rc >= 0, "proxyctl crashed", r)
    return r


def explain(*args):
    """proxyctl explain ARGS; a --json document on stdout is validated against its schema."""
    r = run("explain", *args)
    if "--json" in args and r.rc in (0, 1):
        loads_valid(SOURCE_DIR, "explain", r.out, "explain " + " ".join(args))
    return r


def test_file_text_names_the_deciding_line(tmp):
    cfg = write(f"{tmp}/p.cfg", CONFIG)
    r = explain(cfg, "--user", "alice", "--password", "wonderland", "--from", "127.0.0.1",
                "--to", "192.0.2.7:443", "--service", "socks:1080")
    check(r.rc == 0, "allowed: exit 0", r)
    check("service: socks:" in r.out, "the service", r)
    check("1. strong: password of 'alice' is right" in r.out, "the auth step", r)
    check("p.cfg:4: allow alice,bob * * 1-1024" in r.out, "the deciding line and its text", r)
    check("verdict: allowed" in r.out, "the verdict", r)
    check("parents: none" in r.out, "no parents", r)

    r = explain(cfg, "--user", "bob", "--password", "builder", "--from", "127.0.0.1",
                "--to", "mail.example:25", "--port", "1080")
    check(r.rc == 1, "denied: exit 1", r)
    check("entry 1 (deny) decides: " in r.out and "p.cfg:3: deny bob * * 25" in r.out,
          "the deny line", r)

    r = explain(cfg, "--user", "bob", "--password", "nope", "--from", "127.0.0.1",
                "--to", "192.0.2.7:80", "--port", "1080")
    check(r.rc == 1 and "wrong password for 'bob'" in r.out, "a bad password", r)
    r = explain(cfg, "--user", "carol", "--password", "x", "--from", "127.0.0.1",
                "--to", "192.0.2.7:80", "--port", "1080")
    check(r.rc == 1 and "unknown user 'carol'" in r.out, "an unknown user", r)
    r = explain(cfg, "--user", "alice", "--password", "wonderland", "--from", "127.0.0.1",
                "--to", "192.0.2.7:8080", "--port", "1080")
    check(r.rc == 1 and "a non-empty ACL denies" in r.out, "the default deny", r)


def test_file_json_and_several_services(tmp):
    cfg = write(f"{tmp}/p.cfg", CONFIG)
    r = explain(cfg, "--from", "127.0.0.1", "--to", "127.0.0.1:25", "--json",
                "--at", "Tue 10:00")
    check(r.rc == 1, "socks is the first candidate and wants a password", r)
    doc = json.loads(r.out)
    check(doc["service"]["label"].startswith("socks:"), "first candidate", doc)
    check(len(doc["other_services"]) == 1 and doc["other_services"][0].startswith("tcppm:"),
          "the mapper can receive it too", doc)
    check(doc["verdict"] == "no_credentials" and doc["allowed"] is False, "verdict", doc)
    check(doc["request"]["weekday"] == "Tue" and doc["request"]["time"] == "10:00:00", "when", doc)
    check("password" not in json.dumps(doc["request"]).replace("password_given", ""),
          "no password in the output", doc)
    r = explain(cfg, "--from", "127.0.0.1", "--to", "127.0.0.1:25", "--port", "2525")
    check("choose one" not in r.out, "one service chosen", r)
    r = explain(cfg, "--from", "127.0.0.1", "--to", "127.0.0.1:25")
    check("choose one with --service LABEL or --port N" in r.out, "how to choose", r)
    r = explain(cfg, "--from", "127.0.0.1", "--to", "127.0.0.1:25", "--port", "2525",
                "--json")
    doc = json.loads(r.out)
    check(r.rc == 0 and doc["allowed"], "the mapper allows loopback", r)
    check(doc["acl"]["flush"]["line"] == 6 and doc["acl"]["decided_by"]["line"] == 8,
          "the flush and the entry", doc)
    check(doc["limits"]["maxconn"]["limit"] == 7, "maxconn", doc)


def test_usage_and_config_errors_exit_2(tmp):
    cfg = write(f"{tmp}/p.cfg", CONFIG)
    for args, what in (([cfg, "--to", "a:1"], "--from ADDR is required"),
                       ([cfg, "--from", "nowhere"], "not an IP address"),
                       ([cfg, "--from", "127.0.0.1", "--to", "example.com"], "HOST:PORT"),
                       ([cfg, "--from", "127.0.0.1", "--at", "25:00"], "not a time"),
                       ([cfg, "--from", "127.0.0.1", "--op", "FLY"], "not an operation"),
                       ([cfg, "--from", "127.0.0.1", "--service", "socks:9"], "no service"),
                       (["--from", "127.0.0.1"], "FILE is required"),
                       ([f"{tmp}/missing.cfg", "--from", "127.0.0.1"], "cannot be read")):
        r = explain(*args)
        check(r.rc == 2 and what in r.err, "usage error: " + what, r)
    broken = write(f"{tmp}/broken.cfg", "frobnicate now\nsocks -p1080 -p1081\nallow\n")
    r = explain(broken, "--from", "127.0.0.1")
    check(r.rc == 2 and "has errors" in r.err, "a configuration with errors", r)


class EchoServer:
    """Echoes what each loopback client sends until the test ends."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        conns = []
        while not self.done.is_set():
            try:
                c, _ = self.sock.accept()
                c.settimeout(5)
                conns.append(c)
                threading.Thread(target=self.echo, args=(c,), daemon=True).start()
            except socket.timeout:
                continue
        for c in conns:
            c.close()

    def echo(self, c):
        try:
            while not self.done.is_set():
                data = c.recv(4096)
                if not data:
                    return
                c.sendall(data)
        except OSError:
            return

    def close(self):
        self.done.set()
        self.thread.join(5)
        self.sock.close()


def live_config(tcppm_port, echo_port, extra=""):
    return ("log /dev/null\ncountall 1 D 100 *\n" + extra + "allow * 127.0.0.1\n"
            "tcppm -i127.0.0.1 %d 127.0.0.1 %d\n" % (tcppm_port, echo_port))


def daemon(tmp, text):
    return RealProxyd(PROXYD, tmp, text, lambda path: run("status", "--socket", path).rc == 0)


def test_live_on_the_running_generation(tmp):
    echo = EchoServer()
    try:
        port = free_port()
        with daemon(tmp, live_config(port, echo.port)) as d:
            r = explain("--live", "--socket", d.socket, "--from", "127.0.0.1",
                        "--to", "127.0.0.1:%d" % echo.port, "--port", str(port))
            check(r.rc == 0 and "verdict: allowed" in r.out, "allowed live", r)
            check("proxyd.cfg:3: allow * 127.0.0.1" in r.out, "the line, read back", r)
            r = explain("--live", "--socket", d.socket, "--from", "::1",
                        "--to", "127.0.0.1:%d" % echo.port, "--port", str(port), "--json")
            doc = json.loads(r.out)
            check(r.rc == 1 and doc["verdict"] == "acl_no_match", "denied live", r)
            check(doc["limits"]["maxconn"]["active"] == 0, "live maxconn count", doc)
            reply = d.request_line(json.dumps({"command": "explain", "args": {
                "from": "127.0.0.1", "service": str(port), "at": "Sun 23:59"}}) + "\n")
            doc = loads_valid(SOURCE_DIR, "control-reply", reply, "the explain reply")
            check(doc["result"]["allowed"] is True, "the raw reply", reply)
            # Edited on disk, not reloaded: the running generation still decides, and the
            # changed file's text is not shown as if it were loaded.
            write(d.config, live_config(port, echo.port, "deny *\n"))
            r = explain("--live", "--socket", d.socket, "--from", "127.0.0.1",
                        "--to", "127.0.0.1:%d" % echo.port, "--port", str(port), "--json")
            doc = json.loads(r.out)
            check(r.rc == 0 and doc["acl"]["decided_by"]["text"] is None, "no stale text", doc)
            r = explain("--live", "--socket", d.socket, "--from", "127.0.0.1",
                        "--service", "socks:1")
            check(r.rc == 1 and "no service" in r.err, "an unknown service", r)
        r = explain("--live", "--socket", f"{tmp}/gone.sock", "--from", "127.0.0.1")
        check(r.rc == 3, "unreachable: exit 3", r)
    finally:
        echo.close()


def session_id(socket_path):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        doc = json.loads(run("sessions", "--json", "--socket", socket_path).out)
        sessions = doc["result"]["sessions"]
        if sessions:
            return sessions[0]["id"]
        time.sleep(0.05)
    raise AssertionError("no session appeared")


def test_session_now_and_on_disk(tmp):
    echo = EchoServer()
    try:
        port = free_port()
        with daemon(tmp, live_config(port, echo.port)) as d:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
                client.sendall(b"ping")
                check(client.recv(4) == b"ping", "relayed through tcppm")
                sid = session_id(d.socket)
                r = explain("--session", str(sid), "--socket", d.socket)
                check(r.rc == 0, "kept: exit 0", r)
                check("session %d on tcppm:" % sid in r.out, "names the session", r)
                check("proxyd.cfg:3: allow * 127.0.0.1" in r.out, "why it is admitted", r)
                check("a reload would keep it" in r.out, "the files on disk keep it", r)
                # The files on disk now deny it: a reload would close it.
                write(d.config, live_config(port, echo.port, "deny * 127.0.0.1\n"))
                r = explain("--session", str(sid), "--socket", d.socket, "--json")
                check(r.rc == 1, "closed by a reload: exit 1", r)
                doc = json.loads(r.out)
                check(doc["now"]["allowed"] is True, "admitted now", doc)
                check(doc["on_disk"]["closes"] is True, "closed on disk", doc)
                check(doc["on_disk"]["explanation"]["acl"]["decided_by"]["text"] ==
                      "deny * 127.0.0.1", "the line on disk that denies", doc)
                check(doc["session"]["id"] == sid, "the session", doc)
                counted = doc["now"]["limits"]["counters"]
                check(len(counted) == 1 and counted[0]["limit_bytes"] == 100 << 20
                      and counted[0]["bytes"] >= 0, "the counter, with what it holds", doc)
            r = explain("--session", "999999", "--socket", d.socket)
            check(r.rc == 1 and "no live session" in r.err, "an unknown session", r)
    finally:
        echo.close()


def test_live_sends_the_fields_and_reports_a_bad_reply(tmp):
    """The request goes to proxyd as text; a reply of another shape is exit 3, and an
    older proxyd without the command is a refusal (exit 1)."""
    odd = {"ok": True, "result": {"verdict": "allowed"}, "error": None}
    with FakeProxyd(f"{tmp}/f.sock", {"explain": odd}) as fake:
        r = explain("--live", "--socket", f"{tmp}/f.sock", "--from", "10.0.0.5", "--user", "bob",
                    "--password", "pw", "--to", "example.com:443", "--port", "3128", "--op",
                    "HTTP_CONNECT", "--at", "Mon 14:00")
        check(r.rc == 3 and "explain" in r.err, "a malformed reply", r)
        check(fake.requests[0] == {"command": "explain", "args": {
            "from": "10.0.0.5", "user": "bob", "password": "pw", "to": "example.com:443",
            "service": "3128", "operation": "HTTP_CONNECT", "at": "Mon 14:00"}},
            "the request", fake.requests)
        r = explain("--session", "7", "--socket", f"{tmp}/f.sock")
        check(r.rc == 3, "a malformed session reply", r)
        check(fake.requests[1] == {"command": "explain", "args": {"session": 7}}, "by id",
              fake.requests)
    with FakeProxyd(f"{tmp}/o.sock", {}):
        r = explain("--live", "--socket", f"{tmp}/o.sock", "--from", "10.0.0.5")
        check(r.rc == 1 and "unknown command" in r.err, "an older proxyd", r)


def main():
    # Unix socket paths are limited to 107 bytes: keep the directory short.
    return script_main(globals(), __doc__, "pex-", ("PROXYCTL", "PROXYD", "SOURCE_DIR"),
                       tmp_dir="/tmp")


if __name__ == "__main__":
    sys.exit(main())
