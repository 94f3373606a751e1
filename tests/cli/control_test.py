#!/usr/bin/env python3
"""Drives the real proxyctl's live commands against a fake proxyd control socket.

Usage: control_test.py PROXYCTL SOURCE_DIR TEST_NAME   (TEST_NAME "all" runs every test)

Each test_* function is one ctest test (tests/cli/CMakeLists.txt lists them). It starts a
fake daemon: a Unix socket in its temporary directory that answers each command with a
canned reply (docs/design.md, "Control protocol") and records the requests;
the fake lives in tests/support/fake_proxyd.py, shared with tests/completions.
"""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from fake_proxyd import FakeProxyd  # noqa: E402
from schemas import loads_valid  # noqa: E402
from script_tests import check, script_main, write  # noqa: E402

PROXYCTL = ""
SOURCE_DIR = ""

NOW_MS = int(time.time() * 1000)

CLEAN = ("users alice:CL:wonderland\nauth strong\nallow alice\ndeny *\n"
         "socks -i127.0.0.1 -p1080\n")

RECORD = {
    "generation": 4, "trigger": "control", "started_at_ms": NOW_MS - 1000,
    "duration_us": 1234, "result": "ok", "diagnostics": [],
    "changes": [{"kind": "removed", "area": "user", "subject": "bob", "before": "bob", "after": ""},
                {"kind": "changed", "area": "acl", "subject": "socks:127.0.0.1:1080",
                 "before": "allow alice,bob", "after": "allow alice"}],
    "sessions": {"checked": 3, "kept": 2, "closed": 1,
                 "closed_sessions": [{"id": 17, "service": "socks:127.0.0.1:1080", "user": "bob",
                                      "client": "127.0.0.1:50001", "reason": "user removed"}]},
    "listeners": {"kept": 1, "opened": 0, "closed": 0},
}

DIAGNOSTIC = {"code": "PX001", "severity": "error", "message": "unknown directive 'frobnicate'",
              "file": "/etc/proxyd/proxyd.cfg", "line": 7, "column": 1, "length": 10,
              "notes": [], "fixits": []}

# A refusal the files do not explain: proxyd could not bind a new listener.
BIND_FAILURE = {"code": "PX311", "severity": "error",
                "message": "cannot listen for socks:127.0.0.1:1081: Address already in use",
                "file": "", "line": 0, "column": 0, "length": 0, "notes": [], "fixits": []}

SESSIONS = [
    {"id": 12, "service": "socks:127.0.0.1:1080", "user": "alice", "client": "127.0.0.1:50000",
     "target": "example.com:443", "operation": "CONNECT", "bytes_in": 2048,
     "bytes_out": 5 * 1024 * 1024, "started_at_ms": NOW_MS - 3723000,
     "last_activity_ms": NOW_MS - 5000, "generation": 3, "limit_to_client_bps": 1000000,
     "limit_to_server_bps": None},
    {"id": 17, "service": "socks:127.0.0.1:1080", "user": "", "client": "10.0.0.9:40000",
     "target": "example.org:80", "operation": "CONNECT", "bytes_in": 100, "bytes_out": 900,
     "started_at_ms": NOW_MS - 65000, "last_activity_ms": NOW_MS - 65000, "generation": 4},
]


def status_reply(config="/etc/proxyd/proxyd.cfg", files=None, last_reload=None,
                 generation=4, generations_with_sessions=(4,)):
    return {"ok": True, "result": {
        "protocol": 1, "pid": 4242, "version": "0.1.0", "config": config,
        "generation": generation, "started_at_ms": NOW_MS - 90061000,
        "files": files if files is not None else [
            {"path": config, "sha256": "ab" * 32, "mtime_ns": NOW_MS * 1000000, "size": 321}],
        "last_reload": last_reload, "sessions_total": 2,
        "sessions_by_service": {"socks:127.0.0.1:1080": 2},
        "generations_with_sessions": list(generations_with_sessions)}}


class Result:
    def __init__(self, proc, elapsed):
        self.rc = proc.returncode
        self.out = proc.stdout.decode("utf-8")
        self.err = proc.stderr.decode("utf-8")
        self.elapsed = elapsed

    def __repr__(self):
        return "rc=%d\n--- stdout\n%s\n--- stderr\n%s" % (self.rc, self.out[:3000], self.err[:3000])


def run(*args, env=None, timeout=20):
    full_env = dict(os.environ)
    for name in ("NO_COLOR", "PROXYCTL_SOCKET", "PROXYCTL_TIMEOUT"):
        full_env.pop(name, None)
    if env:
        full_env.update(env)
    start = time.monotonic()
    proc = subprocess.run([PROXYCTL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=full_env, timeout=timeout)
    result = Result(proc, time.monotonic() - start)
    check(result.rc >= 0, "proxyctl was killed by signal %d" % -result.rc, result)
    check("terminate called" not in result.err, "uncaught exception", result)
    return result


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def loaded_file(path):
    st = os.stat(path)
    return {"path": path, "sha256": sha256_of(path), "mtime_ns": st.st_mtime_ns, "size": st.st_size}


# --- reaching the daemon ---------------------------------------------------------------

def test_unreachable_socket_exits_3_with_a_hint(tmp):
    """No daemon: every live command exits 3 naming the path and how to fix it."""
    missing = f"{tmp}/missing.sock"
    for args in (["status"], ["sessions"], ["diff"], ["reload"], ["kill", "1"], ["reopen-logs"]):
        r = run(*args, "--socket", missing)
        check(r.rc == 3, "%s: unreachable exits 3" % args[0], r)
        check(missing in r.err and "is proxyd running?" in r.err and "--socket" in r.err,
              "%s: message names the path and the hint" % args[0], r)
        check(r.elapsed < 3, "fails fast", r)
    write(f"{tmp}/not-a-socket", "")
    r = run("status", "--socket", f"{tmp}/not-a-socket")
    check(r.rc == 3 and "Connection refused" in r.err, "a file that is not a socket", r)


def test_socket_option_and_environment(tmp):
    """--socket wins over PROXYCTL_SOCKET; the environment alone selects the daemon too."""
    with FakeProxyd(f"{tmp}/a.sock", {"status": status_reply(config="/a.cfg")}) as a, \
            FakeProxyd(f"{tmp}/b.sock", {"status": status_reply(config="/b.cfg")}):
        r = run("status", env={"PROXYCTL_SOCKET": a.path})
        check(r.rc == 0 and "/a.cfg" in r.out, "PROXYCTL_SOCKET", r)
        r = run("status", "--socket", f"{tmp}/b.sock", env={"PROXYCTL_SOCKET": a.path})
        check(r.rc == 0 and "/b.cfg" in r.out, "--socket wins", r)
        check(a.requests == [{"command": "status"}], "one request line per call", r)


def test_daemon_that_never_replies_times_out(tmp):
    """A connected daemon that never answers: exit 3 after PROXYCTL_TIMEOUT, not a hang."""
    with FakeProxyd(f"{tmp}/p.sock", {"status": None}) as fake:
        r = run("status", "--socket", fake.path, env={"PROXYCTL_TIMEOUT": "0.3"})
        check(r.rc == 3 and "no reply from proxyd within 0.3 s" in r.err, "timeout", r)
        check(r.elapsed < 3, "the timeout is honoured", r)


def test_malformed_reply_is_a_clear_error(tmp):
    """Not JSON, or JSON that is not a reply: exit 3 with 'malformed reply'."""
    for reply in (b"this is not json\n", b"[1,2,3]\n", b"{\"result\":{}}\n"):
        with FakeProxyd(f"{tmp}/p.sock", {"status": reply}) as fake:
            r = run("status", "--socket", fake.path)
            check(r.rc == 3 and "malformed reply" in r.err, "malformed %r" % reply, r)
        os.unlink(f"{tmp}/p.sock")
    with FakeProxyd(f"{tmp}/p.sock", {"status": b""}) as fake:
        r = run("status", "--socket", fake.path)
        check(r.rc == 3 and "closed the connection without replying" in r.err, "empty", r)


# --- rendering -------------------------------------------------------------------------

def test_status_for_people_and_json(tmp):
    """status shows pid, config, generation, files with short hashes, the last reload."""
    failed = dict(RECORD, result="failed", generation=4, diagnostics=[DIAGNOSTIC],
                  changes=[], sessions={}, listeners={})
    with FakeProxyd(f"{tmp}/p.sock", {"status": status_reply(last_reload=failed)}) as fake:
        r = run("status", "--socket", fake.path)
        check(r.rc == 0, "status ok", r)
        for text in ("pid 4242", "config:     /etc/proxyd/proxyd.cfg", "generation: 4",
                     "uptime:     1d01h", "abababababab", "/etc/proxyd/proxyd.cfg",
                     "reload FAILED", "unknown directive 'frobnicate' [PX001]",
                     "/etc/proxyd/proxyd.cfg:7:1: error:", "socks:127.0.0.1:1080: 2"):
            check(text in r.out, "status shows %r" % text, r)
        r = run("status", "--json", "--socket", fake.path)
        doc = loads_valid(SOURCE_DIR, "status", r.out)
        check(doc["ok"] is True and doc["error"] is None, "json: the reply envelope", r)
        check(doc["result"]["config"] == "/etc/proxyd/proxyd.cfg"
              and doc["result"]["last_reload"]["diagnostics"] == [DIAGNOSTIC]
              and doc["result"]["generations_with_force_sessions"] is None,
              "json: the status, fields an older daemon lacks as null", r)


def test_sessions_table_filters_and_json(tmp):
    """sessions prints a table with human sizes and ages and forwards the filters."""
    with FakeProxyd(f"{tmp}/p.sock", {"sessions": {"ok": True, "result": SESSIONS}}) as fake:
        r = run("sessions", "--socket", fake.path)
        check(r.rc == 0, "sessions ok", r)
        lines = r.out.splitlines()
        check(lines[0].split() == ["ID", "SERVICE", "USER", "CLIENT", "TARGET", "IN", "OUT",
                                   "AGE", "IDLE", "GEN", "LIMIT"], "header", r)
        check("alice" in lines[1] and "2.0 KiB" in lines[1] and "5.0 MiB" in lines[1]
              and "1h02m" in lines[1] and "example.com:443" in lines[1], "first row", r)
        check(lines[2].split()[2] == "-" and re.search(r"\b1m0\ds\b", lines[2]), "no user: '-'", r)
        check(lines[1].endswith("down 1 Mbit/s") and lines[2].split()[-1] == "-",
              "LIMIT: the rate towards the client, '-' for none", r)
        r = run("sessions", "--service", "socks:127.0.0.1:1080", "--user", "alice",
                "--source", "127.0.0.0/8", "--json", "--socket", fake.path)
        doc = loads_valid(SOURCE_DIR, "sessions", r.out)
        check(doc["ok"] is True and [s["id"] for s in doc["result"]["sessions"]] == [12, 17]
              and doc["result"]["sessions"][1]["user"] is None,
              "json: {\"sessions\":[...]} in the envelope, no user as null", r)
        check(fake.requests[-1] == {"command": "sessions", "args": {
            "service": "socks:127.0.0.1:1080", "user": "alice", "source": "127.0.0.0/8"}},
            "filters sent as args", r)


def test_diff_exit_0_when_same_1_when_different(tmp):
    """diff as diff(1): 0 nothing differs, 1 it does, with changes and impact listed."""
    same = {"ok": True, "result": {"differs": False, "files": [], "changes": [], "impact": [],
                                   "diagnostics": []}}
    different = {"ok": True, "result": {
        "differs": True,
        "files": [{"path": "/etc/proxyd/users.cfg", "loaded_sha256": "11" * 32,
                   "current_sha256": "22" * 32, "loaded_mtime_ns": 1, "current_mtime_ns": 2}],
        "changes": RECORD["changes"] + [{"kind": "added", "area": "user", "subject": "carol",
                                         "before": "", "after": "carol"}],
        "impact": RECORD["sessions"]["closed_sessions"], "diagnostics": []}}
    with FakeProxyd(f"{tmp}/p.sock", {"diff": same}) as fake:
        r = run("diff", "--socket", fake.path)
        check(r.rc == 0 and "no differences" in r.out, "same", r)
    os.unlink(f"{tmp}/p.sock")
    with FakeProxyd(f"{tmp}/p.sock", {"diff": different}) as fake:
        r = run("diff", "--socket", fake.path)
        check(r.rc == 1, "different exits 1", r)
        for text in ("/etc/proxyd/users.cfg: 111111111111", "-> 222222222222",
                     "- user bob", "~ acl socks:127.0.0.1:1080: allow alice,bob -> allow alice",
                     "+ user carol", "would close 1 session",
                     "#17 socks:127.0.0.1:1080 user bob from 127.0.0.1:50001: user removed"):
            check(text in r.out, "diff shows %r" % text, r)
        r = run("diff", "--json", "--socket", fake.path)
        doc = loads_valid(SOURCE_DIR, "diff", r.out)
        check(r.rc == 1 and doc["ok"] is True
              and doc["result"]["files"] == different["result"]["files"], "json envelope", r)
        changes = doc["result"]["changes"]
        check([c["subject"] for c in changes] == ["bob", "socks:127.0.0.1:1080", "carol"]
              and changes[0]["after"] is None and changes[2]["before"] is None
              and changes[0]["file"] is None, "json: changes with null for what is absent", r)


def test_kill_reports_killed_and_not_found(tmp):
    """kill sends the ids; exit 1 when any was not found."""
    def reply(request):
        ids = request["args"]["ids"]
        return {"ok": True, "result": {"killed": [i for i in ids if i in (12, 17)],
                                       "not_found": [i for i in ids if i not in (12, 17)]}}
    with FakeProxyd(f"{tmp}/p.sock", {"kill": reply}) as fake:
        r = run("kill", "12", "17", "--socket", fake.path)
        check(r.rc == 0 and "killed 12" in r.out and "killed 17" in r.out, "all killed", r)
        check(fake.requests[-1] == {"command": "kill", "args": {"ids": [12, 17]}}, "ids sent", r)
        r = run("kill", "12", "99", "--socket", fake.path)
        check(r.rc == 1 and "killed 12" in r.out and "not found 99" in r.out, "one missing", r)
        r = run("kill", "--socket", fake.path)
        check(r.rc == 2, "ids are required", r)


def test_reload_prints_the_record(tmp):
    """reload shows generation, trigger, changes, closed sessions with reasons, listeners."""
    with FakeProxyd(f"{tmp}/p.sock", {"reload": {"ok": True, "result": RECORD}}) as fake:
        r = run("reload", "--socket", fake.path)
        check(r.rc == 0, "reload ok", r)
        for text in ("reload ok: generation 4 (trigger control", "took 1.2ms", "- user bob",
                     "sessions: 3 checked, 2 kept, 1 closed",
                     "closed #17 socks:127.0.0.1:1080 user bob from 127.0.0.1:50001: user removed",
                     "listeners: 1 kept, 0 opened, 0 closed"):
            check(text in r.out, "reload shows %r" % text, r)
        check(fake.requests[-1] == {"command": "reload", "args": {}}, "plain reload", r)
        r = run("reload", "--dry-run", "--json", "--socket", fake.path)
        doc = loads_valid(SOURCE_DIR, "reload", r.out)
        check(r.rc == 0 and doc["ok"] is True and doc["signal"] is None
              and doc["result"]["sessions"] == RECORD["sessions"]
              and doc["result"]["generation"] == 4, "json: the record in the envelope", r)
        check(doc["result"]["changes"][0] == dict(RECORD["changes"][0], after=None, file=None,
                                                  line=None), "json: a removal's after is null", r)
        check(fake.requests[-1] == {"command": "reload", "args": {"dry_run": True}}, "dry run", r)


def test_reload_refused_exits_1_with_diagnostics(tmp):
    """A refused reload: exit 1, the message and the diagnostics as check prints them,
    fix-its with whether `check --fix` would apply them on its own."""
    cfg = write(f"{tmp}/proxyd.cfg", "socks -p1080\n\n\n\n\n\nfrobnicate now\n")
    diag = dict(DIAGNOSTIC, file=cfg, fixits=[
        {"file": cfg, "line": 7, "column": 1, "length": 15, "replacement": "",
         "description": "remove the line", "unsafe": True}])
    refused = {"ok": False, "error": {"code": "reload_failed",
                                      "message": "the new configuration has 1 error",
                                      "diagnostics": [diag]}}
    with FakeProxyd(f"{tmp}/p.sock", {"reload": refused}) as fake:
        r = run("reload", "--socket", fake.path)
        check(r.rc == 1, "refused exits 1", r)
        check("the new configuration has 1 error [reload_failed]" in r.err, "message", r)
        check(f"{cfg}:7:1: error: unknown directive 'frobnicate' [PX001]" in r.err, "diag", r)
        check(" 7 | frobnicate now" in r.err and "^~~~~~~~~~" in r.err, "source and caret", r)
        check("fix-it (unsafe): remove the line" in r.err, "unsafe fix-it", r)
        r = run("reload", "--json", "--socket", fake.path)
        doc = loads_valid(SOURCE_DIR, "reload", r.out)
        check(r.rc == 1 and doc["ok"] is False and doc["result"] is None
              and doc["error"]["diagnostics"] == [diag] and doc["error"]["record"] is None, "json", r)


def test_reload_dry_run_says_what_would_happen(tmp):
    """A dry run applied nothing: the text says "would close", never "closed", and the JSON
    says dry_run true (false for a real reload), valid against the schema."""
    dry = dict(RECORD, result="dry_run")
    with FakeProxyd(f"{tmp}/p.sock", {"reload": {"ok": True, "result": dry}}) as fake:
        r = run("reload", "--dry-run", "--socket", fake.path)
        check(r.rc == 0 and r.out.startswith("dry run (nothing applied): generation 4"), "head", r)
        for text in ("sessions: 3 checked, 2 would be kept, 1 would close",
                     "  would close #17 socks:127.0.0.1:1080 user bob from 127.0.0.1:50001: "
                     "user removed",
                     "listeners: 1 would be kept, 0 would open, 0 would close"):
            check(text in r.out, "dry run shows %r" % text, r)
        check(not re.search(r"\b(closed|opened)\b|(?<!be) kept\b", r.out),
              "no past tense in a dry run", r)
        r = run("reload", "--dry-run", "--json", "--socket", fake.path)
        doc = loads_valid(SOURCE_DIR, "reload", r.out)
        check(r.rc == 0 and doc["dry_run"] is True and doc["result"]["result"] == "dry_run",
              "json: dry_run true", r)
    refused = {"ok": False, "error": {"code": "reload_failed", "message": "1 error",
                                      "diagnostics": [DIAGNOSTIC]}}
    with FakeProxyd(f"{tmp}/q.sock", {"reload": refused}) as fake:
        r = run("reload", "--dry-run", "--json", "--socket", fake.path)
        doc = loads_valid(SOURCE_DIR, "reload", r.out)
        check(r.rc == 1 and doc["ok"] is False and doc["dry_run"] is True,
              "json: a refused dry run is still a dry run", r)
    with FakeProxyd(f"{tmp}/r.sock", {"reload": {"ok": True, "result": RECORD}}) as fake:
        r = run("reload", "--json", "--socket", fake.path)
        doc = loads_valid(SOURCE_DIR, "reload", r.out)
        check(r.rc == 0 and doc["dry_run"] is False, "json: a real reload is dry_run false", r)
        r = run("reload", "--socket", fake.path)
        check("sessions: 3 checked, 2 kept, 1 closed" in r.out and "would" not in r.out,
              "a real reload keeps the past tense", r)


# --- reload --signal -------------------------------------------------------------------

CHILD = r"""
import os, signal, sys, time
marker = sys.argv[1]
def got(sig, frame):
    with open(marker, "a") as f:
        f.write(signal.Signals(sig).name + "\n")
signal.signal(signal.SIGUSR1, got)
signal.signal(signal.SIGHUP, got)
# Written whole under another name, then renamed: the test waits for the pidfile to
# exist, and must never find it empty.
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("%d\n" % os.getpid())
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(30)
"""


def start_child(tmp):
    marker = f"{tmp}/signals"
    pidfile = f"{tmp}/proxyd.pid"
    child = subprocess.Popen([sys.executable, "-c", CHILD, marker, pidfile])
    deadline = time.monotonic() + 5
    while not os.path.exists(pidfile) and time.monotonic() < deadline:
        time.sleep(0.02)
    return child, marker, pidfile


def wait_for_signal(marker, name):
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if os.path.exists(marker) and name in open(marker).read():
            return True
        time.sleep(0.02)
    return False


def test_reload_signal_sends_to_the_pidfile(tmp):
    """--signal sends SIGUSR1 (or HUP) to the pid in the config's pidfile."""
    child, marker, pidfile = start_child(tmp)
    try:
        cfg = write(f"{tmp}/proxyd.cfg", f"pidfile {pidfile}\n" + CLEAN)
        nosock = {"PROXYCTL_SOCKET": f"{tmp}/none.sock"}
        r = run("reload", "--signal", cfg, env=nosock)
        check(r.rc == 0 and "sent SIGUSR1 to pid %d" % child.pid in r.out, "USR1 sent", r)
        check(wait_for_signal(marker, "SIGUSR1"), "the child got SIGUSR1", r)
        r = run("reload", "--signal", "HUP", cfg, env=nosock)
        check(r.rc == 0 and "sent SIGHUP" in r.out, "HUP sent", r)
        check(wait_for_signal(marker, "SIGHUP"), "the child got SIGHUP", r)
    finally:
        child.kill()
        child.wait()


def test_reload_signal_waits_for_the_new_generation(tmp):
    """With a socket, --signal waits until status shows a new reload and prints it."""
    child, marker, pidfile = start_child(tmp)
    try:
        cfg = write(f"{tmp}/proxyd.cfg", f"pidfile {pidfile}\n" + CLEAN)

        def status(_request):
            if os.path.exists(marker):
                return status_reply(generation=5, last_reload=dict(RECORD, generation=5,
                                                                   trigger="usr1"))
            return status_reply(generation=4, last_reload=None)
        with FakeProxyd(f"{tmp}/p.sock", {"status": status}) as fake:
            r = run("reload", "--signal", "USR1", "--socket", fake.path, cfg)
            check(r.rc == 0 and "reload ok: generation 5 (trigger usr1" in r.out, "record", r)
    finally:
        child.kill()
        child.wait()


def test_reload_signal_errors(tmp):
    """No pidfile directive, an unreadable pidfile and a stale pid are clear errors."""
    r = run("reload", "--signal", write(f"{tmp}/a.cfg", CLEAN))
    check(r.rc == 2 and "no 'pidfile' directive" in r.err, "no pidfile", r)
    r = run("reload", "--signal", write(f"{tmp}/b.cfg", f"pidfile {tmp}/nope.pid\n" + CLEAN))
    check(r.rc == 3 and "cannot read pidfile" in r.err and "nope.pid" in r.err, "unreadable", r)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    write(f"{tmp}/stale.pid", "%d\n" % dead.pid)
    r = run("reload", "--signal", write(f"{tmp}/c.cfg", f"pidfile {tmp}/stale.pid\n" + CLEAN))
    check(r.rc == 3 and "stale pidfile" in r.err, "stale pid", r)
    r = run("reload", "--signal", "TERM", f"{tmp}/c.cfg")
    check(r.rc == 2 and "unknown signal" in r.err, "only USR1 and HUP", r)


# --- check's live family ---------------------------------------------------------------

def test_reopen_logs_asks_the_daemon(tmp):
    """reopen-logs sends its command and says the generation keeps serving; --json passes
    the reply through; an older daemon without the command is exit 1 with its message."""
    reply = {"ok": True, "result": {"reopened": True, "generation": 7}}
    with FakeProxyd(f"{tmp}/p.sock", {"reopen-logs": reply}) as fake:
        r = run("reopen-logs", "--socket", fake.path)
        check(r.rc == 0 and r.out == "proxyd reopened its log files; generation 7 keeps serving "
              "(no reload)\n", "for people", r)
        check(fake.requests[-1] == {"command": "reopen-logs"}, "the request", fake.requests)
        r = run("reopen-logs", "--json", "--socket", fake.path)
        check(r.rc == 0 and loads_valid(SOURCE_DIR, "reopen-logs", r.out) == dict(reply, error=None),
              "--json", r)
    with FakeProxyd(f"{tmp}/old.sock", {}) as fake:
        r = run("reopen-logs", "--socket", fake.path)
        check(r.rc == 1 and "unknown command" in r.err, "a daemon without the command", r)


def test_metrics_prints_the_text_as_is(tmp):
    """metrics prints result.text byte for byte (no newline added); --json passes the reply
    through; a reply without the text is a bad reply (exit 3)."""
    text = ('# HELP proxyd_x_total X.\n# TYPE proxyd_x_total counter\n'
            'proxyd_x_total{service="a\\"b"} 3\n')
    reply = {"ok": True, "result": {"text": text}}
    with FakeProxyd(f"{tmp}/p.sock", {"metrics": reply}) as fake:
        r = run("metrics", "--socket", fake.path)
        check(r.rc == 0 and r.out == text and r.err == "", "the text as is", r)
        check(fake.requests[-1] == {"command": "metrics"}, "the request", fake.requests)
        r = run("metrics", "--json", "--socket", fake.path)
        check(r.rc == 0 and loads_valid(SOURCE_DIR, "metrics", r.out) == dict(reply, error=None),
              "--json", r)
    with FakeProxyd(f"{tmp}/odd.sock", {"metrics": {"ok": True, "result": {"txt": 1}}}) as fake:
        r = run("metrics", "--socket", fake.path)
        check(r.rc == 3 and "metrics" in r.err and r.out == "", "no text: bad reply", r)
    with FakeProxyd(f"{tmp}/old.sock", {}) as fake:
        r = run("metrics", "--socket", fake.path)
        check(r.rc == 1 and "unknown command" in r.err, "a daemon without the command", r)


def test_check_reports_edited_but_not_reloaded(tmp):
    """PX401 for a file changed since the daemon loaded it; nothing when hashes match. A
    plain check shows it without failing (check && reload must apply a valid edit)."""
    cfg = write(f"{tmp}/proxyd.cfg", CLEAN)
    loaded = loaded_file(cfg)
    with FakeProxyd(f"{tmp}/p.sock", {"status": status_reply(config=cfg, files=[loaded])}) as fake:
        r = run("check", "--socket", fake.path, cfg)
        check(r.rc == 0 and r.out == "", "hashes match: clean", r)
        write(cfg, CLEAN + "# edited\n")
        r = run("check", "--socket", fake.path, cfg)
        check(r.rc == 0 and "warning" in r.out and "[PX401]" in r.out,
              "edited file reported, exit 0", r)
        check(cfg in r.out and loaded["sha256"][:12] in r.out
              and sha256_of(cfg)[:12] in r.out and "proxyctl reload" in r.out, "message", r)
        r = run("check", "--live", "--socket", fake.path, cfg)
        check(r.rc == 1 and "[PX401]" in r.out, "--live: the finding fails the check", r)
        r = run("check", "--werror", "--socket", fake.path, cfg)
        check(r.rc == 0 and "error" in r.out and "[PX401]" in r.out,
              "--werror raises its severity, not its weight without --live", r)
        r = run("check", cfg, env={"PROXYCTL_SOCKET": fake.path})
        check(r.rc == 0 and "[PX401]" in r.out, "socket from the environment", r)
        r = run("check", "--live", cfg, env={"PROXYCTL_SOCKET": fake.path})
        check(r.rc == 1 and "[PX401]" in r.out, "--live, socket from the environment", r)
        r = run("check", "--offline", "--socket", fake.path, cfg)
        check(r.rc == 0 and r.out == "", "--offline skips the live family", r)
        r = run("check", "--live", "--disable", "PX401", "--socket", fake.path, cfg)
        check(r.rc == 0 and r.out == "", "--disable applies", r)
        other = write(f"{tmp}/other.cfg", CLEAN)
        r = run("check", "--socket", fake.path, other)
        check(r.rc == 0 and r.out == "", "a file that is not the daemon's config", r)
        os.unlink(cfg)
        write(cfg, CLEAN)
        requests = len(fake.requests)
        r = run("check", "--format", "json", "--socket", fake.path, cfg)
        check(len(fake.requests) == requests + 1, "check asked status", r)


def test_check_reports_gone_file_hup_and_failed_reload(tmp):
    """PX401 for a loaded file that is gone, PX402 after a SIGHUP, PX403 after a failure the
    files do not explain (a port in use): shown by a plain check, counted with --live."""
    cfg = write(f"{tmp}/proxyd.cfg", CLEAN)
    gone = {"path": f"{tmp}/users.cfg", "sha256": "cd" * 32, "mtime_ns": 0, "size": 1}
    last = dict(RECORD, trigger="hup", result="failed", diagnostics=[BIND_FAILURE])
    reply = status_reply(config=cfg, files=[loaded_file(cfg), gone], last_reload=last,
                         generation=4, generations_with_sessions=[2, 4])
    with FakeProxyd(f"{tmp}/p.sock", {"status": reply}) as fake:
        for live in ([], ["--live"]):
            r = run("check", *live, "--format", "gcc", "--socket", fake.path, cfg)
            check(r.rc == (1 if live else 0), "live findings count only with --live", r)
            check(f"{tmp}/users.cfg: warning:" in r.out and "is gone" in r.out, "gone file", r)
            check("[PX402]" in r.out and "generation 2" in r.out, "hup", r)
            check(": error: proxyd's last reload attempt" in r.out and "[PX403]" in r.out
                  and "Address already in use [PX311]" in r.out, "failed", r)
        r = run("check", "--format", "json", "--socket", fake.path, cfg)
        codes = sorted(d["code"] for f in json.loads(r.out)["files"] for d in f["diagnostics"])
        check(r.rc == 0 and codes == ["PX401", "PX402", "PX403"], "json keeps them", r)
        r = run("check", "--format", "sarif", "--socket", fake.path, cfg)
        levels = sorted(x["level"] for x in json.loads(r.out)["runs"][0]["results"])
        check(r.rc == 0 and levels == ["error", "warning", "warning"], "sarif keeps them", r)


def test_check_failed_reload_fixed_on_disk(tmp):
    """PX403 stays while the files on disk still have errors; once they load cleanly and the
    failure was their errors, it goes and PX401 says the fix waits for a reload."""
    broken = CLEAN + "frobnicate now\n"
    cfg = write(f"{tmp}/proxyd.cfg", CLEAN)
    loaded = loaded_file(cfg)
    failure = dict(DIAGNOSTIC, file=cfg)
    last = dict(RECORD, result="failed", diagnostics=[failure])
    reply = status_reply(config=cfg, files=[loaded], last_reload=last)
    with FakeProxyd(f"{tmp}/p.sock", {"status": reply}) as fake:
        write(cfg, broken)
        r = run("check", "--live", "--format", "gcc", "--socket", fake.path, cfg)
        check(r.rc == 1 and "[PX001]" in r.out and "[PX403]" in r.out, "still broken", r)
        write(cfg, CLEAN + "# fixed\n")
        r = run("check", "--live", "--format", "gcc", "--socket", fake.path, cfg)
        check(r.rc == 1 and "[PX401]" in r.out and "[PX403]" not in r.out,
              "fixed: the edit waits for a reload", r)
        r = run("check", "--format", "gcc", "--socket", fake.path, cfg)
        check(r.rc == 0, "a plain check passes the fixed file", r)
        write(cfg, CLEAN)
        r = run("check", "--live", "--socket", fake.path, cfg)
        check(r.rc == 0 and r.out == "", "back to what runs: nothing to report", r)


def test_check_live_needs_a_daemon(tmp):
    """--live: no daemon, a malformed one, or a daemon running another file is exit 2 with
    the reason; --offline with it is a usage error; without FILE it checks what runs."""
    cfg = write(f"{tmp}/proxyd.cfg", CLEAN)
    r = run("check", "--live", "--socket", f"{tmp}/none.sock", cfg)
    check(r.rc == 2 and r.out == "" and "check --live: no proxyd answers at %s/none.sock" % tmp
          in r.err, "no daemon", r)
    r = run("check", "--live", cfg, env={"PROXYCTL_SOCKET": f"{tmp}/none.sock"})
    check(r.rc == 2 and "%s/none.sock" % tmp in r.err, "socket from the environment", r)
    r = run("check", "--live", "--offline", cfg)
    check(r.rc == 2 and "--offline" in r.err, "--live with --offline", r)
    with FakeProxyd(f"{tmp}/g.sock", {"status": b"garbage\n"}) as fake:
        r = run("check", "--live", "--socket", fake.path, cfg)
        check(r.rc == 2 and "malformed" in r.err, "malformed daemon", r)
    reply = status_reply(config=cfg, files=[loaded_file(cfg)])
    with FakeProxyd(f"{tmp}/p.sock", {"status": reply}) as fake:
        other = write(f"{tmp}/other.cfg", CLEAN)
        r = run("check", "--live", "--socket", fake.path, other)
        check(r.rc == 2 and "proxyd runs %s, which is none of the files given" % cfg in r.err,
              "another file", r)
        r = run("check", "--live", "--socket", fake.path)
        check(r.rc == 0 and r.out == "" and r.err == "", "no FILE: the daemon's config", r)
        write(cfg, CLEAN + "# edited\n")
        r = run("check", "--live", "--format", "gcc", "--socket", fake.path)
        check(r.rc == 1 and r.out.startswith(cfg + ":") and "[PX401]" in r.out,
              "no FILE: edited", r)
    with FakeProxyd(f"{tmp}/q.sock", {"status": None}) as fake:
        r = run("check", "--live", "--socket", fake.path, cfg, env={"PROXYCTL_TIMEOUT": "0.5"})
        check(r.rc == 2 and r.err != "", "a daemon that does not answer in time", r)


def test_check_is_silent_without_a_daemon(tmp):
    """No daemon, or one that does not answer: no PX4xx, no exit 3, no waiting."""
    cfg = write(f"{tmp}/proxyd.cfg", CLEAN)
    r = run("check", "--socket", f"{tmp}/none.sock", cfg)
    check(r.rc == 0 and r.out == "" and r.err == "", "silent", r)
    with FakeProxyd(f"{tmp}/p.sock", {"status": b"garbage\n"}) as fake:
        r = run("check", "--socket", fake.path, cfg)
        check(r.rc == 0 and r.out == "", "malformed daemon: silent", r)


def main():
    # Unix socket paths are limited to 107 bytes: keep the directory short.
    return script_main(globals(), __doc__, "pctl-", tmp_dir="/tmp")


if __name__ == "__main__":
    sys.exit(main())
