#!/usr/bin/env python3
"""Every JSON document proxyctl and proxyd write, validated against docs/schemas/.

Usage: json_schema_test.py PROXYCTL PROXYD SOURCE_DIR TEST_NAME   ("all" runs every test)

Each test_* function is one ctest test (tests/cli/CMakeLists.txt lists them). The live
outputs come from a real proxyd on 127.0.0.1 with a control socket in the test's
temporary directory, failures included (a refused reload, an unknown command, bad JSON,
a daemon that is gone); the client-side failures from the fake daemon of
tests/support/fake_proxyd.py. Exits 77 (skipped) without python3-jsonschema.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from fake_proxyd import FakeProxyd  # noqa: E402
from real_proxyd import RealProxyd, free_port  # noqa: E402
from schemas import Schemas, SkipSchemas  # noqa: E402
from script_tests import check, script_main, write  # noqa: E402

PROXYCTL = ""
PROXYD = ""
SOURCE_DIR = ""
SCHEMAS = None
SKIP = 77


def run(*args, env=None, timeout=30):
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("NO_COLOR", "PROXYCTL_SOCKET", "PROXYCTL_TIMEOUT")}
    full_env.update(env or {})
    r = subprocess.run([PROXYCTL, *args], capture_output=True, text=True, env=full_env,
                       timeout=timeout)
    check(r.returncode >= 0 and "terminate called" not in r.stderr, "proxyctl crashed",
          r.stderr)
    return r


def valid(schema, r, what, rc=None):
    """The document on stdout, validated; `rc` the exit status expected."""
    if rc is not None:
        check(r.returncode == rc, "%s: exit %s, not %s" % (what, rc, r.returncode),
              r.stdout[:2000] + r.stderr[:2000])
    check(r.stdout.count("\n") >= 1, "%s: a document on stdout" % what, r.stderr)
    return SCHEMAS.validate(schema, r.stdout, what)


class Daemon(RealProxyd):
    """A real proxyd with one SOCKS service on 127.0.0.1 and a control socket."""

    def __init__(self, tmp):
        super().__init__(PROXYD, tmp, self.text(free_port()),
                         lambda path: run("status", "--socket", path).returncode == 0)

    @staticmethod
    def text(port):
        return ("users alice:CL:wonderland\nauth strong\nallow alice\ndeny *\n"
                "socks -i127.0.0.1 -p%d\n" % port)

    def request(self, line):
        """One raw request line; the reply line, validated against control-reply."""
        return SCHEMAS.validate("control-reply", self.request_line(line),
                                "reply to %r" % line[:60])


# --- offline outputs ---------------------------------------------------------------------

def test_check_json_clean_findings_and_unreadable(tmp):
    """check --format json: a clean file, one with findings, an unreadable one."""
    clean = write(f"{tmp}/clean.cfg", Daemon.text(1080))
    doc = valid("check", run("check", "--format", "json", "--offline", clean), "clean", 0)
    check(doc["files"][0]["diagnostics"] == [], "no findings", doc)
    broken = write(f"{tmp}/broken.cfg", "frobnicate now\nsocks -p1080 -p1081\nallow\n")
    doc = valid("check", run("check", "--format", "json", "--offline", broken), "findings", 1)
    check(doc["summary"]["errors"] >= 1, "errors counted", doc)
    r = run("check", "--format", "json", "--offline", f"{tmp}/missing.cfg", tmp, clean)
    doc = valid("check", r, "unreadable", 2)
    unreadable = doc["files"][0]["diagnostics"][0]
    check(unreadable["line"] is None and unreadable["column"] is None, "no position: null",
          unreadable)


def test_rules_json_table_and_named_rules(tmp):
    """rules --json: the table, and the rules named with their explanation and examples."""
    doc = valid("rules", run("rules", "--json"), "table", 0)
    check("help" not in doc[0], "the table keeps its six keys", doc[0])
    doc = valid("rules", run("rules", "--json", "PX204", "PX000"), "named", 0)
    check([r["code"] for r in doc] == ["PX204", "PX000"], "the rules named, in order", doc)


def test_show_json_model_and_errors(tmp):
    """show --json: the model, and a configuration with errors (ok false, no model)."""
    doc = valid("show", run("show", "--json", os.path.join(SOURCE_DIR, "examples",
                                                           "proxyd.cfg")), "example", 0)
    check(doc["ok"] is True and doc["services"], "a model", doc)
    chained = write(f"{tmp}/chained.cfg", "parentretries 2\nallow *\n"
                    "parent 500 socks5 10.0.0.1 1080 u p\nparent 500 connect+ 10.0.0.2 3128\n"
                    "socks -i127.0.0.1\n")
    doc = valid("show", run("show", "--json", chained), "parents", 0)
    check(doc["globals"]["parentretries"]["value"] == 2, "parentretries shown", doc)
    parents = doc["services"][0]["acl"][0]["parents"]
    check([p["type"] for p in parents] == ["socks5", "connect+"], "parents shown", doc)
    broken = write(f"{tmp}/broken.cfg", "frobnicate now\n")
    doc = valid("show", run("show", "--json", broken), "errors", 1)
    check(doc["ok"] is False and doc["services"] is None and doc["diagnostics"], "errors", doc)
    doc = valid("show", run("show", "--json", f"{tmp}/missing.cfg"), "unreadable", 2)
    check(doc["ok"] is False, "unreadable", doc)


# --- the live commands against a real proxyd ----------------------------------------------

def test_live_outputs_of_a_real_proxyd(tmp):
    """status, sessions, diff, reload (ok, dry run, refused), kill, reopen-logs, metrics
    --json."""
    with Daemon(tmp) as d:
        s = ["--json", "--socket", d.socket]
        doc = valid("status", run("status", *s), "status", 0)
        check(doc["ok"] and doc["result"]["last_reload"] is None, "no reload yet", doc)
        doc = valid("sessions", run("sessions", *s), "sessions", 0)
        check(doc["result"] == {"sessions": []}, "no sessions", doc)
        valid("diff", run("diff", *s), "diff, same", 0)
        valid("kill", run("kill", "999", *s), "kill, not found", 1)
        valid("reopen-logs", run("reopen-logs", *s), "reopen-logs", 0)
        doc = valid("metrics", run("metrics", *s), "metrics", 0)
        check("\nproxyd_config_generation 1\n" in doc["result"]["text"], "metrics text", doc)
        with open(d.config, "a") as f:
            f.write("users bob:CL:builder\n")
        doc = valid("diff", run("diff", *s), "diff, different", 1)
        check(doc["result"]["changes"][0]["before"] is None, "an addition: before null", doc)
        valid("reload", run("reload", "--dry-run", *s), "dry run", 0)
        doc = valid("reload", run("reload", *s), "reload", 0)
        check(doc["result"]["result"] == "ok" and doc["signal"] is None, "reloaded", doc)
        with open(d.config, "a") as f:
            f.write("frobnicate now\n")
        doc = valid("diff", run("diff", *s), "diff, broken on disk", 1)
        check(doc["result"]["diagnostics"], "diagnostics of the files on disk", doc)
        doc = valid("reload", run("reload", *s), "refused reload", 1)
        check(doc["ok"] is False and doc["error"]["code"] == "reload_failed"
              and doc["error"]["record"]["result"] == "failed", "the refused record", doc)
        doc = valid("status", run("status", *s), "status after a failure", 0)
        check(doc["result"]["last_reload"]["result"] == "failed", "last reload failed", doc)
        doc = valid("check", run("check", "--format", "json", "--socket", d.socket, d.config),
                    "check with PX4xx", 1)
        check(any(x["code"] == "PX403" for x in doc["files"][0]["diagnostics"]), "PX403", doc)


def test_control_replies_of_a_real_proxyd(tmp):
    """Each reply line validates, errors included: unknown command, bad JSON, bad args."""
    with Daemon(tmp) as d:
        for command in ("status", "sessions", "diff", "help", "reopen-logs", "metrics"):
            reply = d.request(json.dumps({"command": command}) + "\n")
            check(reply["ok"] is True and reply["error"] is None, command, reply)
        reply = d.request('{"command":"kill","args":{"ids":[5]}}\n')
        check(reply["result"] == {"killed": [], "not_found": [5]}, "kill", reply)
        reply = d.request('{"command":"reload","args":{"dry_run":true}}\n')
        check(reply["result"]["result"] == "dry_run", "dry run", reply)
        for line, code in (('{"command":"frobnicate"}\n', "unknown_command"),
                           ("this is not json\n", "bad_json"),
                           ('{"args":{}}\n', "bad_json"),
                           ("[" * 100 + "]" * 100 + "\n", "bad_json"),
                           ('{"command":"reload","args":{"dry_run":"yes"}}\n', "bad_args"),
                           ('{"command":"kill","args":{}}\n', "bad_args"),
                           ('{"command":"sessions","args":{"source":"nowhere"}}\n', "bad_args"),
                           ('{"command":"status","args":[]}\n', "bad_args"),
                           ("x" * (70 * 1024) + "\n", "request_too_large")):
            reply = d.request(line)
            check(reply["ok"] is False and reply["result"] is None
                  and reply["error"]["code"] == code and reply["error"]["record"] is None,
                  "%s for %r" % (code, line[:40]), reply)
        with open(d.config, "a") as f:
            f.write("frobnicate now\n")
        reply = d.request('{"command":"reload"}\n')
        check(reply["error"]["code"] == "reload_failed" and reply["error"]["diagnostics"]
              and reply["error"]["record"]["result"] == "failed", "refused reload", reply)


def test_daemon_errors_keep_the_envelope(tmp):
    """No daemon, a malformed reply, no reply in time: still one envelope on stdout."""
    missing = f"{tmp}/missing.sock"
    for args, schema in ((["status"], "status"), (["sessions"], "sessions"), (["diff"], "diff"),
                         (["reload"], "reload"), (["kill", "1"], "kill"),
                         (["reopen-logs"], "reopen-logs"), (["metrics"], "metrics")):
        doc = valid(schema, run(*args, "--json", "--socket", missing), args[0], 3)
        check(doc["error"]["code"] == "unreachable", "unreachable", doc)
    with FakeProxyd(f"{tmp}/g.sock", {"status": b"garbage\n"}) as fake:
        doc = valid("status", run("status", "--json", "--socket", fake.path), "garbage", 3)
        check(doc["error"]["code"] == "bad_reply", "bad_reply", doc)
    # A reply that is JSON and ok, but whose result is not the command's.
    odd = {"ok": True, "result": [1, 2]}
    with FakeProxyd(f"{tmp}/r.sock", {"status": odd, "sessions": {"ok": True, "result": "x"},
                                      "diff": odd, "reload": odd, "reopen-logs": odd,
                                      "metrics": odd}) as fake:
        for command in ("status", "sessions", "diff", "reload", "reopen-logs", "metrics"):
            doc = valid(command, run(command, "--json", "--socket", fake.path),
                        "%s: result of another shape" % command, 3)
            check(doc["error"]["code"] == "bad_reply", "bad_reply", doc)
    with FakeProxyd(f"{tmp}/t.sock", {"status": None}) as fake:
        doc = valid("status", run("status", "--json", "--socket", fake.path,
                                  env={"PROXYCTL_TIMEOUT": "0.3"}), "timeout", 3)
        check(doc["error"]["code"] == "timeout", "timeout", doc)
    with FakeProxyd(f"{tmp}/o.sock", {}) as fake:
        doc = valid("reopen-logs", run("reopen-logs", "--json", "--socket", fake.path),
                    "unknown command", 1)
        check(doc["error"]["code"] == "unknown_command", "unknown_command", doc)
    # An older daemon's sessions list and a reply without the newer fields: normalized.
    legacy = [{"id": 3, "service": "socks:1080", "user": "", "client": "127.0.0.1:5",
               "target": "", "operation": "CONNECT", "bytes_in": 0, "bytes_out": 0,
               "started_at_ms": 1, "last_activity_ms": 1, "generation": 1}]
    with FakeProxyd(f"{tmp}/l.sock", {"sessions": {"ok": True, "result": legacy}}) as fake:
        doc = valid("sessions", run("sessions", "--json", "--socket", fake.path), "legacy", 0)
        check(doc["result"]["sessions"][0]["user"] is None, "no user: null", doc)


def test_reload_signal_json(tmp):
    """reload --signal --json: sent without a socket to confirm, and its failures."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pidfile = write(f"{tmp}/proxyd.pid", "%d\n" % child.pid)
        cfg = write(f"{tmp}/proxyd.cfg", f"pidfile {pidfile}\n" + Daemon.text(1080))
        env = {"PROXYCTL_SOCKET": f"{tmp}/none.sock"}
        # A pid that is gone: the stale-pidfile failure.
        child.kill()
        child.wait()
        doc = valid("reload", run("reload", "--signal", "--json", cfg, env=env), "stale", 3)
        check(doc["error"]["code"] == "signal_failed", "signal_failed", doc)
        doc = valid("reload", run("reload", "--signal", "--json",
                                  write(f"{tmp}/n.cfg", Daemon.text(1080)), env=env),
                    "no pidfile", 2)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    ignorer = subprocess.Popen([sys.executable, "-c",
                                "import signal, time\nsignal.signal(signal.SIGUSR1, "
                                "signal.SIG_IGN)\nprint('ready', flush=True)\ntime.sleep(30)"],
                               stdout=subprocess.PIPE, text=True)
    try:
        ignorer.stdout.readline()
        write(f"{tmp}/proxyd.pid", "%d\n" % ignorer.pid)
        doc = valid("reload", run("reload", "--signal", "--json", cfg,
                                  env={"PROXYCTL_SOCKET": f"{tmp}/none.sock"}), "sent", 0)
        check(doc["ok"] and doc["result"] is None and doc["signal"]["pid"] == ignorer.pid,
              "sent, unconfirmed", doc)
    finally:
        ignorer.kill()
        ignorer.wait()


def load_schemas():
    global SCHEMAS
    try:
        SCHEMAS = Schemas(SOURCE_DIR)
    except SkipSchemas as e:
        print("SKIP: %s" % e)
        return SKIP
    return None


def main():
    # Unix socket paths are limited to 107 bytes: keep the directory short.
    return script_main(globals(), __doc__, "pjs-", ("PROXYCTL", "PROXYD", "SOURCE_DIR"),
                       tmp_dir="/tmp", setup=load_schemas)


if __name__ == "__main__":
    sys.exit(main())
