#!/usr/bin/env python3
"""Exercises the shell completions in completions/ in real bash, zsh and fish, and the
command-line details around them (progress line, sessions --watch, --help, --version).

Usage: completion_test.py PROXYCTL PROXYD SOURCE_DIR TEST_NAME   ("all" runs every test)

Each test_* function is one ctest test (tests/completions/CMakeLists.txt lists them) and
runs in its own temporary directory. Live values (session ids, services) come from the
fake proxyd control socket in tests/support/fake_proxyd.py.
"""
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from fake_proxyd import FakeProxyd  # noqa: E402
from script_tests import Result, check, read_terminal, script_main, write  # noqa: E402

PROXYCTL = ""
PROXYD = ""
SOURCE_DIR = ""
HERE = os.path.dirname(os.path.abspath(__file__))

SUBCOMMANDS = ["check", "show", "fmt", "rules", "status", "sessions", "diff", "reload", "kill",
               "reopen-logs", "metrics", "explain", "completion"]
SCRIPTS = {"bash": "proxyctl.bash", "zsh": "_proxyctl", "fish": "proxyctl.fish"}

NOW_MS = int(time.time() * 1000)
SESSIONS = [
    {"id": 12, "service": "socks:1080@127.0.0.1", "user": "alice", "client": "127.0.0.1:50000",
     "target": "example.com:443", "operation": "CONNECT", "bytes_in": 10, "bytes_out": 20,
     "started_at_ms": NOW_MS - 1000, "last_activity_ms": NOW_MS, "generation": 1},
    {"id": 17, "service": "proxy:3128@127.0.0.1", "user": "", "client": "127.0.0.1:50001",
     "target": "", "operation": "GET", "bytes_in": 1, "bytes_out": 2,
     "started_at_ms": NOW_MS - 1000, "last_activity_ms": NOW_MS, "generation": 1},
]
SERVICES_CONFIG = ("users alice:CL:wonderland\nauth strong\nallow alice\n"
                   "socks -i127.0.0.1 -p1080\nproxy -i127.0.0.1 -p3128\n")


def clean_env(env=None):
    full_env = dict(os.environ)
    for name in ("NO_COLOR", "PROXYCTL_SOCKET", "PROXYCTL_TIMEOUT"):
        full_env.pop(name, None)
    # No daemon unless a test starts one: never ask a real proxyd of this machine.
    full_env["PROXYCTL_SOCKET"] = "/nonexistent/proxyd.sock"
    full_env["PATH"] = os.path.dirname(PROXYCTL) + os.pathsep + full_env.get("PATH", "")
    full_env.update(env or {})
    return full_env


def run(argv, env=None, cwd=None, timeout=30):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=clean_env(env), cwd=cwd, timeout=timeout)
    return Result(proc)


def script(shell):
    return os.path.join(SOURCE_DIR, "completions", SCRIPTS[shell])


def rule_codes():
    r = run([PROXYCTL, "rules", "--json"])
    check(r.rc == 0, "rules --json", r)
    return [rule["code"] for rule in json.loads(r.out)]


# --- bash ------------------------------------------------------------------------------

def comp_words(line):
    """The words bash gives a completion function for LINE (cursor at its end): split at
    blanks, and at '=' and ':' (in COMP_WORDBREAKS), which form words of their own."""
    words = re.findall(r"[=:]+|[^\s=:]+", line)
    if not line or line[-1].isspace():
        words.append("")
    return words


def bash_complete(line, env=None, cwd=None, sort=False):
    """COMPREPLY for LINE, where LINE starts with 'proxyctl' (the binary under test)."""
    line = PROXYCTL + line[len("proxyctl"):]
    r = run(["bash", "--norc", "--noprofile", os.path.join(HERE, "bash_complete.sh"),
             script("bash"), line, *comp_words(line)], env=env, cwd=cwd)
    check(r.rc == 0 and r.err == "", "completion of %r prints no errors" % line, r)
    replies = r.out.splitlines()
    return sorted(replies) if sort else replies


def expect(line, expected, env=None, cwd=None, sort=False):
    got = bash_complete(line, env=env, cwd=cwd, sort=sort)
    check(got == expected, "completion of %r: expected %r, got %r" % (line, expected, got))


def test_bash_subcommands():
    """The subcommands, without the hidden __complete; the top level's options."""
    expect("proxyctl ", SUBCOMMANDS)
    expect("proxyctl s", ["show", "status", "sessions"])
    expect("proxyctl ch", ["check"])
    expect("proxyctl re", ["reload", "reopen-logs"])
    expect("proxyctl --", ["--help", "--version"])
    # The monitoring flag of check, and the live options of reopen-logs.
    expect("proxyctl check --l", ["--live"])
    expect("proxyctl check --o", ["--offline"])
    expect("proxyctl reopen-logs --", ["--socket", "--json", "--help"])
    expect("proxyctl m", ["metrics"])
    expect("proxyctl metrics --", ["--socket", "--json", "--help"])
    expect("proxyctl e", ["explain"])
    expect("proxyctl explain --s", ["--service", "--session", "--socket"])


def test_bash_check_format():
    """--format values, with a space or '=' before the value."""
    expect("proxyctl check --format ", ["text", "gcc", "json", "sarif", "github"])
    expect("proxyctl check --format s", ["sarif"])
    expect("proxyctl check --format=j", ["json"])


def test_bash_check_dialect_severity_color():
    """--dialect, --severity, --fail-on and --color values."""
    expect("proxyctl check --dialect ", ["proxyd", "3proxy"])
    expect("proxyctl show --dialect 3", ["3proxy"])
    expect("proxyctl check --severity ", ["error", "warning", "info"])
    expect("proxyctl check --fail-on ", ["error", "warning", "info"])
    expect("proxyctl check --fail-on=w", ["warning"])
    expect("proxyctl check --color a", ["auto", "always"])


def test_bash_check_disable_rule_codes():
    """--disable offers the binary's rule codes; in a list, the ones not yet in it."""
    codes = rule_codes()
    px1 = [c for c in codes if c.startswith("PX1")]
    check(len(px1) >= 2, "the rule table has PX1xx codes: %r" % codes)
    expect("proxyctl check --disable PX1", px1)
    expect("proxyctl check --disable ", codes)
    first = px1[0]
    expect("proxyctl check --disable %s,PX1" % first, ["%s,%s" % (first, c) for c in px1[1:]])


def test_bash_file_completion_for_check(tmp):
    """Files for check/show/reload arguments, directories only for --root."""
    for name in ("a.cfg", "b.cfg", "notes.txt"):
        write(os.path.join(tmp, name), "")
    os.mkdir(os.path.join(tmp, "conf.d"))
    expect("proxyctl check ", ["a.cfg", "b.cfg", "conf.d", "notes.txt"], cwd=tmp, sort=True)
    expect("proxyctl check a.cfg ", ["a.cfg", "b.cfg", "conf.d", "notes.txt"], cwd=tmp, sort=True)
    expect("proxyctl check --offline b", ["b.cfg"], cwd=tmp)
    expect("proxyctl show n", ["notes.txt"], cwd=tmp)
    expect("proxyctl check --root ", ["conf.d"], cwd=tmp)
    got = bash_complete("proxyctl reload --signal ", cwd=tmp)
    check(got[:2] == ["USR1", "HUP"] and sorted(got[2:]) == ["a.cfg", "b.cfg", "conf.d",
                                                              "notes.txt"],
          "--signal: a signal or the config file: %r" % got)


def test_bash_every_option_of_every_subcommand():
    """'SUB --' offers exactly the options the subcommand's --help lists."""
    for sub in SUBCOMMANDS:
        r = run([PROXYCTL, sub, "--help"])
        check(r.rc == 0, "%s --help" % sub, r)
        documented = sorted(set(re.findall(r"^\s+(?:-\w,)?(--[\w-]+)", r.out, re.M)))
        check("--help" in documented, "%s --help lists options" % sub, r)
        got = sorted(bash_complete("proxyctl %s --" % sub))
        check(got == documented, "%s: completed %r, --help lists %r" % (sub, got, documented))


def test_bash_kill_session_ids_from_the_daemon(tmp):
    """kill offers the live session ids, without those already given; --socket is used."""
    with FakeProxyd(f"{tmp}/p.sock", {"sessions": {"ok": True, "result": {"sessions": SESSIONS}}}):
        env = {"PROXYCTL_SOCKET": f"{tmp}/p.sock"}
        expect("proxyctl kill ", ["12", "17"], env=env)
        expect("proxyctl kill 1", ["12", "17"], env=env)
        expect("proxyctl kill 12 ", ["17"], env=env)
        expect("proxyctl kill --socket %s/p.sock " % tmp, ["12", "17"])
        expect("proxyctl kill --socket=%s/p.sock 17 " % tmp, ["12"])


def test_bash_sessions_service_names(tmp):
    """sessions --service offers the running configuration's services and those with
    sessions, as the daemon labels them; a label is completed across its ':'s."""
    cfg = write(f"{tmp}/proxyd.cfg", SERVICES_CONFIG)
    status = {"ok": True, "result": {
        "protocol": 1, "pid": 1, "version": "0", "config": cfg, "generation": 1,
        "started_at_ms": NOW_MS, "files": [], "last_reload": None, "sessions_total": 1,
        "sessions_by_service": {"tcppm:2222@127.0.0.1": 1}, "generations_with_sessions": [1]}}
    shown = run([PROXYCTL, "show", "--json", cfg])
    check(shown.rc == 0, "show --json", shown)
    labels = sorted([s["label"] for s in json.loads(shown.out)["services"]]
                    + ["tcppm:2222@127.0.0.1"])
    check(len(labels) == 3, "two services in the config, one more with sessions: %r" % labels)
    with FakeProxyd(f"{tmp}/p.sock", {"status": status}):
        env = {"PROXYCTL_SOCKET": f"{tmp}/p.sock"}
        expect("proxyctl sessions --service ", labels, env=env)
        socks = [label for label in labels if label.startswith("socks:")]
        check(len(socks) == 1, "one socks service: %r" % labels)
        # bash replaces only the part after the last ':' of the word.
        expect("proxyctl sessions --service socks:", [socks[0][len("socks:"):]], env=env)


def test_bash_nothing_without_a_daemon(tmp):
    """No daemon: no ids, no services, no error output, no waiting."""
    env = {"PROXYCTL_SOCKET": f"{tmp}/none.sock"}
    start = time.monotonic()
    expect("proxyctl kill ", [], env=env)
    expect("proxyctl sessions --service ", [], env=env)
    expect("proxyctl kill --socket %s/other.sock " % tmp, [], env=env)
    check(time.monotonic() - start < 10, "fails fast")
    write(f"{tmp}/not-a-socket", "")
    expect("proxyctl kill ", [], env={"PROXYCTL_SOCKET": f"{tmp}/not-a-socket"})


def test_hidden_complete_command(tmp):
    """__complete: rule codes from the table, nothing and exit 0 without a daemon, and it
    is not listed in --help."""
    r = run([PROXYCTL, "__complete", "rules"])
    check(r.rc == 0 and r.out.splitlines() == rule_codes(), "rule codes", r)
    r = run([PROXYCTL, "__complete", "--describe", "rules"])
    check(r.rc == 0 and all(len(line.split("\t")) == 2 for line in r.out.splitlines()),
          "--describe: code<TAB>name", r)
    for kind in ("sessions", "services"):
        r = run([PROXYCTL, "__complete", kind, "--socket", f"{tmp}/none.sock"])
        check(r.rc == 0 and r.out == "" and r.err == "", "%s without a daemon" % kind, r)
    with FakeProxyd(f"{tmp}/p.sock", {"sessions": {"ok": True, "result": SESSIONS}}) as fake:
        r = run([PROXYCTL, "__complete", "sessions"], env={"PROXYCTL_SOCKET": fake.path})
        check(r.rc == 0 and r.out == "12\n17\n", "ids from PROXYCTL_SOCKET", r)
        r = run([PROXYCTL, "__complete", "--describe", "sessions", "--socket", fake.path])
        check(r.out.splitlines()[0] == "12\tsocks:1080@127.0.0.1 alice 127.0.0.1:50000 -> "
              "example.com:443", "described", r)
    r = run([PROXYCTL, "__complete", "users"])
    check(r.rc == 2, "unknown kind is a usage error", r)
    r = run([PROXYCTL, "--help"])
    check(r.rc == 0 and "__complete" not in r.out and "completion" in r.out, "hidden", r)


# --- zsh and fish ----------------------------------------------------------------------

def test_zsh_script_loads(tmp):
    """The zsh script loads under compinit, sourced or autoloaded from fpath, silently."""
    r = run(["zsh", "-f", "-c", "autoload -U compinit && compinit -u -d %s/zcompdump && "
             "source %s && print -r -- ${_comps[proxyctl]}" % (tmp, script("zsh"))])
    check(r.rc == 0 and r.err == "" and r.out == "_proxyctl\n", "sourced", r)
    os.mkdir(f"{tmp}/functions")
    write(f"{tmp}/functions/_proxyctl", open(script("zsh"), "rb").read())
    r = run(["zsh", "-f", "-c", "fpath=(%s/functions $fpath); autoload -U compinit && "
             "compinit -u -d %s/zcompdump2 && print -r -- ${_comps[proxyctl]}" % (tmp, tmp)])
    check(r.rc == 0 and r.err == "" and r.out == "_proxyctl\n", "from fpath", r)


def fish_complete(line, env=None):
    r = run(["fish", "--no-config", "-c",
             "source %s; complete -C %s" % (script("fish"), shell_quote(line))], env=env)
    check(r.rc == 0 and r.err == "", "fish completion of %r" % line, r)
    return sorted(entry.split("\t")[0] for entry in r.out.splitlines())


def shell_quote(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def test_fish_completions(tmp):
    """fish: subcommands, option values, rule codes and live session ids."""
    got = fish_complete("proxyctl ch")
    check(got == ["check"], "proxyctl ch: %r" % got)
    got = fish_complete("proxyctl ")
    check(got == sorted(SUBCOMMANDS), "subcommands: %r" % got)
    got = fish_complete("proxyctl re")
    check(got == ["reload", "reopen-logs"], "proxyctl re: %r" % got)
    got = fish_complete("proxyctl check --l")
    check(got == ["--live"], "check --l: %r" % got)
    got = fish_complete("proxyctl reopen-logs --")
    check(got == ["--help", "--json", "--socket"], "reopen-logs options: %r" % got)
    got = fish_complete("proxyctl m")
    check(got == ["metrics"], "proxyctl m: %r" % got)
    got = fish_complete("proxyctl metrics --")
    check(got == ["--help", "--json", "--socket"], "metrics options: %r" % got)
    got = fish_complete("proxyctl explain --op H")
    check("HTTP_GET" in got and "CONNECT" not in got, "explain --op H: %r" % got)
    got = fish_complete("proxyctl check --format ")
    check(got == sorted(["text", "gcc", "json", "sarif", "github"]), "--format: %r" % got)
    got = fish_complete("proxyctl check --fail-on ")
    check(got == sorted(["error", "warning", "info"]), "--fail-on: %r" % got)
    got = fish_complete("proxyctl reload --signal ")
    check({"USR1", "HUP"} <= set(got), "reload --signal offers the signals: %r" % got)
    got = fish_complete("proxyctl reload --signal H")
    check(got == ["HUP"], "reload --signal H: %r" % got)
    got = fish_complete("proxyctl check --no")
    check(got == ["--no-config"], "check --no: %r" % got)
    got = fish_complete("proxyctl check --disable PX1")
    check(got == sorted(c for c in rule_codes() if c.startswith("PX1")), "--disable: %r" % got)
    with FakeProxyd(f"{tmp}/p.sock", {"sessions": {"ok": True, "result": SESSIONS}}):
        got = fish_complete("proxyctl kill --socket %s/p.sock " % tmp)
        check(got == ["12", "17"], "kill: %r" % got)
    got = fish_complete("proxyctl kill ", env={"PROXYCTL_SOCKET": f"{tmp}/none.sock"})
    check(got == [], "kill without a daemon: %r" % got)


# --- proxyctl completion ---------------------------------------------------------------

def test_completion_prints_the_files_byte_for_byte():
    """proxyctl completion SHELL prints completions/ exactly; another shell is a usage error."""
    for shell in SCRIPTS:
        proc = subprocess.run([PROXYCTL, "completion", shell], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=30)
        with open(script(shell), "rb") as f:
            expected = f.read()
        check(proc.returncode == 0 and proc.stderr == b"", "completion %s runs" % shell)
        check(proc.stdout == expected, "completion %s equals completions/%s" % (shell,
                                                                                SCRIPTS[shell]))
    r = run([PROXYCTL, "completion", "tcsh"])
    check(r.rc == 2 and r.out == "" and "tcsh" in r.err, "tcsh is a usage error", r)
    r = run([PROXYCTL, "completion"])
    check(r.rc == 2, "the shell is required", r)


# --- check's progress line, sessions --watch, --help, --version ------------------------

def run_with_pty_stderr(argv, timeout=30):
    """Runs with stderr on a terminal and stdout on a pipe: (rc, stdout, terminal bytes)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave, env=clean_env())
    os.close(slave)
    terminal = read_terminal(master, proc, timeout)
    out = proc.stdout.read()
    proc.wait(timeout=timeout)
    os.close(master)
    return proc.returncode, out, terminal


def test_check_progress_only_on_a_terminal(tmp):
    """Several files: 'file n/N' on a terminal's stderr, erased at the end; not a byte of
    it on a pipe, and none for a single file."""
    files = [write(f"{tmp}/{i}.cfg", "socks -i127.0.0.1 -p1080\nforce\n") for i in range(3)]
    piped = run([PROXYCTL, "check", "--offline", *files])
    check(piped.rc == 1 and piped.err == "", "no progress on a pipe", piped)
    rc, out, terminal = run_with_pty_stderr([PROXYCTL, "check", "--offline", *files])
    check(rc == 1 and out.decode() == piped.out, "same findings on stdout")
    text = terminal.decode()
    for i, path in enumerate(files):
        check("file %d/3 %s" % (i + 1, path) in text, "progress for file %d: %r" % (i + 1, text))
    check(text.endswith("\r\x1b[K"), "the progress line is erased: %r" % text)
    rc, out, terminal = run_with_pty_stderr([PROXYCTL, "check", "--offline", files[0]])
    check(rc == 1 and terminal == b"", "no progress for one file: %r" % terminal)


def watch(argv, seconds, env):
    """Runs a --watch command for about `seconds`, then interrupts it: its stdout."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=clean_env(env))
    time.sleep(seconds)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    check(err == b"", "no errors: %r" % err)
    return out.decode()


def test_sessions_watch_refreshes_until_interrupted(tmp):
    """--watch 0.2 on a pipe: a table per refresh, no screen clearing; with --json one
    document per line; on a terminal the screen is redrawn; a bad interval is a usage
    error."""
    with FakeProxyd(f"{tmp}/p.sock", {"sessions": {"ok": True, "result": SESSIONS}}) as fake:
        env = {"PROXYCTL_SOCKET": fake.path}
        out = watch([PROXYCTL, "sessions", "--watch", "0.2"], 1.5, env)
        tables = out.count("ID  SERVICE")
        check(3 <= tables <= 9, "refreshes in 1.5 s at 0.2 s: %d\n%s" % (tables, out))
        check("\x1b" not in out, "no terminal control on a pipe")
        check(len(fake.requests) >= tables, "one request per refresh")
        out = watch([PROXYCTL, "sessions", "--json", "--watch", "0.2", "--user", "alice"], 1.5,
                    env)
        lines = out.splitlines()
        # Each the envelope of a sessions reply; a user or target that is "" here is null,
        # and so is a bandwidth limit the reply did not give.
        expected = [dict(s, **{k: v or None for k, v in s.items() if k in ("user", "target")},
                         limit_to_client_bps=None, limit_to_server_bps=None)
                    for s in SESSIONS]
        check(len(lines) >= 3 and all(json.loads(line) == {"ok": True, "result": {
            "sessions": expected}, "error": None} for line in lines),
            "one JSON document per line:\n%s" % out)
        check(fake.requests[-1]["args"] == {"user": "alice"}, "filters on every refresh")
        # On a terminal: the screen is cleared and a header drawn before every refresh.
        master, slave = pty.openpty()
        proc = subprocess.Popen([PROXYCTL, "sessions", "--watch", "0.2"], stdout=slave,
                                stderr=subprocess.PIPE, env=clean_env(env))
        os.close(slave)
        screen = b""
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                screen += os.read(master, 65536)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        os.close(master)
        text = screen.decode()
        check(text.startswith("\x1b[H\x1b[2JEvery 0.2s: proxyctl sessions"), "header: %r" % text)
        check(text.count("\x1b[H\x1b[2J") >= 3 and text.count("ID  SERVICE") >= 3,
              "redrawn on every refresh: %r" % text)
    for bad in ("0", "abc", "-1"):
        r = run([PROXYCTL, "sessions", "--watch", bad, "--socket", f"{tmp}/p.sock"])
        check(r.rc == 2 and "--watch" in r.err, "--watch %s is a usage error" % bad, r)
    r = run([PROXYCTL, "sessions", "--watch", "--socket", f"{tmp}/none.sock"], timeout=10)
    check(r.rc == 3 and "is proxyd running?" in r.err, "no daemon: exit 3 at once", r)


def test_every_help_has_examples():
    """Every subcommand's --help ends with an Examples section."""
    for sub in SUBCOMMANDS:
        r = run([PROXYCTL, sub, "--help"])
        check(r.rc == 0 and re.search(r"\nExamples:\n(  .*proxyctl .*\n)+", r.out),
              "%s --help examples" % sub, r)


def test_version_of_both_binaries():
    """proxyctl --version and proxyd --version print the name and the same version."""
    a = run([PROXYCTL, "--version"])
    b = run([PROXYD, "--version"])
    check(a.rc == 0 and re.fullmatch(r"proxyctl \d+\.\d+\.\d+\S*\n", a.out), "proxyctl", a)
    check(b.rc == 0 and re.fullmatch(r"proxyd \d+\.\d+\.\d+\S*\n", b.out), "proxyd", b)
    check(a.out.split()[1] == b.out.split()[1], "one version")


def main():
    # Unix socket paths are limited to 107 bytes: keep the directory short.
    return script_main(globals(), __doc__, "pcmp-", ("PROXYCTL", "PROXYD", "SOURCE_DIR"),
                       tmp_dir="/tmp")


if __name__ == "__main__":
    sys.exit(main())
