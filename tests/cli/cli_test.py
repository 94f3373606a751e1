#!/usr/bin/env python3
"""Drives the real proxyctl binary as CI pipelines, Ansible and people run it.

Usage: cli_test.py PROXYCTL SOURCE_DIR TEST_NAME   (TEST_NAME "all" runs every test)

Each test_* function is one ctest test (tests/cli/CMakeLists.txt lists them), runs in its
own temporary directory, and states the behaviour it checks in its name and docstring.
"""
import json
import os
import pty
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from schemas import loads_valid  # noqa: E402
from script_tests import check, read_terminal, script_main, write  # noqa: E402

PROXYCTL = ""
SOURCE_DIR = ""
EXAMPLE = ""

# A configuration with exactly one warning (PX102: force written below its service).
ONE_WARNING = "socks -i127.0.0.1 -p1080\nforce\n"
# A configuration with an error (PX001: unknown directive).
ONE_ERROR = "socks -i127.0.0.1 -p1080\nfrobnicate now\n"
# Clean at the default threshold; has an info finding (PX024: lines after 'end').
CLEAN = ("users alice:CL:wonderland\nauth strong\nallow alice\ndeny *\n"
         "socks -i127.0.0.1 -p1080\nend\nnotes below 'end' are not read\n")


class Result:
    def __init__(self, proc, elapsed, strict):
        errors = "strict" if strict else "replace"
        self.rc = proc.returncode
        self.out = proc.stdout.decode("utf-8", errors=errors) if proc.stdout else ""
        self.err = proc.stderr.decode("utf-8", errors=errors) if proc.stderr else ""
        self.elapsed = elapsed

    def __repr__(self):
        return "rc=%d\n--- stdout\n%s\n--- stderr\n%s" % (self.rc, self.out[:3000], self.err[:3000])


def proxyctl_env(env=None):
    """The environment proxyctl runs in: this one without NO_COLOR, plus `env`."""
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    if env:
        full_env.update(env)
    return full_env


def finished(proc, start, strict_utf8=True):
    """The Result of a completed proxyctl; fails on a crash (signal) or an uncaught
    exception."""
    result = Result(proc, time.monotonic() - start, strict_utf8)
    check(result.rc >= 0, "proxyctl was killed by signal %d" % -result.rc, result)
    check("terminate called" not in result.err, "uncaught exception", result)
    return result


def run(*args, stdin=None, env=None, timeout=30, cwd=None, strict_utf8=True):
    """Runs proxyctl; fails on a crash (signal), a hang (timeout) or non-UTF-8 output."""
    start = time.monotonic()
    proc = subprocess.run([PROXYCTL, *args], input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=proxyctl_env(env), timeout=timeout, cwd=cwd)
    return finished(proc, start, strict_utf8)


# --- exit status -----------------------------------------------------------------------

def test_exit_status_0_clean_1_findings_2_unreadable(tmp):
    """0 for a clean file, 1 for findings at or above the threshold, 2 for a missing file."""
    r = run("check", write(f"{tmp}/clean.cfg", CLEAN))
    check(r.rc == 0 and r.out == "", "clean config", r)
    r = run("check", EXAMPLE)
    check(r.rc == 0, "the bundled example is clean", r)
    r = run("check", write(f"{tmp}/warn.cfg", ONE_WARNING))
    check(r.rc == 1 and "[PX102]" in r.out, "warning is a finding", r)
    r = run("check", write(f"{tmp}/err.cfg", ONE_ERROR))
    check(r.rc == 1 and "error:" in r.out and "[PX001]" in r.out, "error is a finding", r)
    r = run("check", f"{tmp}/does-not-exist.cfg")
    check(r.rc == 2 and "[PX000]" in r.out and "No such file" in r.out, "missing file", r)
    r = run("check", "--format", "yaml", f"{tmp}/clean.cfg")
    check(r.rc == 2, "bad usage exits 2", r)


def test_several_files_at_once(tmp):
    """Every file is reported under its own path; the worst status wins."""
    clean = write(f"{tmp}/a.cfg", CLEAN)
    warn = write(f"{tmp}/b.cfg", ONE_WARNING)
    err = write(f"{tmp}/c.cfg", ONE_ERROR)
    r = run("check", "--format", "gcc", clean, warn, err)
    check(r.rc == 1, "findings in two of three", r)
    check(f"{warn}:2:1: warning:" in r.out and f"{err}:2:1: error:" in r.out, "both reported", r)
    check(clean not in r.out, "the clean file has no output", r)
    r = run("check", clean, f"{tmp}/missing.cfg", warn)
    check(r.rc == 2, "an unreadable file among others gives 2", r)
    check("[PX102]" in r.out, "the readable files are still checked", r)
    r = run("check", "--format", "json", clean, warn)
    doc = loads_valid(SOURCE_DIR, "check", r.out)
    check([f["path"] for f in doc["files"]] == [clean, warn], "json lists files in order", r)


def test_dash_reads_standard_input(tmp):
    """'-' reads the configuration from standard input, reported as <stdin>."""
    r = run("check", "--format", "gcc", "-", stdin=ONE_WARNING.encode())
    check(r.rc == 1 and r.out.startswith("<stdin>:2:1: warning:"), "stdin checked", r)
    r = run("check", "-", stdin=CLEAN.encode())
    check(r.rc == 0, "clean stdin", r)
    r = run("show", "-", stdin=CLEAN.encode())
    check(r.rc == 0 and "service socks:127.0.0.1:1080" in r.out, "show reads stdin", r)
    # Closed, not empty: an error, not a configuration with nothing in it.
    for command in ("check", "show", "fmt"):
        proc = subprocess.run(["sh", "-c", 'exec "$0" "$1" - <&-', PROXYCTL, command],
                              capture_output=True, text=True, timeout=30)
        check(proc.returncode == 2 and "cannot read standard input: Bad file descriptor"
              in proc.stderr and "terminate" not in proc.stderr, command + ", stdin closed",
              proc.stderr)


def test_root_resolves_relative_includes_for_a_copy_elsewhere(tmp):
    """Ansible's validate: the candidate file sits in a temp dir; --root is /etc/proxyd."""
    etc = f"{tmp}/etc/proxyd"
    os.makedirs(etc)
    os.makedirs(f"{tmp}/ansible-tmp")
    write(f"{etc}/users.cfg", "users alice:CL:wonderland\n")
    write(f"{etc}/passwd", "bob:CL:builder\n")
    candidate = write(f"{tmp}/ansible-tmp/tmpa1b2c3",
                      "include users.cfg\nusers $passwd\nauth strong\nallow alice,bob\ndeny *\n"
                      "socks -i127.0.0.1 -p1080\n")
    r = run("check", "--format", "gcc", candidate)
    check(r.rc == 1 and "[PX010]" in r.out and "[PX011]" in r.out,
          "without --root the includes resolve next to the copy and fail", r)
    r = run("check", "--root", etc, candidate)
    check(r.rc == 0 and r.out == "", "with --root the includes resolve in DIR", r)
    # A relative --root is taken relative to the working directory.
    r = run("check", "--root", "etc/proxyd", "ansible-tmp/tmpa1b2c3", cwd=tmp)
    check(r.rc == 0, "relative --root", r)


# --- thresholds and suppression ----------------------------------------------------------

def test_severity_and_werror(tmp):
    """--severity sets the threshold; --werror turns warnings into errors."""
    warn = write(f"{tmp}/warn.cfg", ONE_WARNING)
    clean = write(f"{tmp}/clean.cfg", CLEAN)
    r = run("check", "--severity", "error", warn)
    check(r.rc == 0 and r.out == "", "a warning is below --severity error", r)
    r = run("check", "--severity", "error", "--werror", warn)
    check(r.rc == 1 and "error:" in r.out and "[PX102]" in r.out, "--werror promotes", r)
    r = run("check", "--werror", clean)
    check(r.rc == 0, "--werror on a clean file", r)
    r = run("check", "--severity", "info", "--format", "gcc", clean)
    check(r.rc == 1 and "info:" in r.out and "[PX024]" in r.out, "--severity info shows infos", r)
    r = run("check", clean)
    check(r.rc == 0 and "[PX024]" not in r.out, "infos are hidden by default", r)


def test_disable_option_and_inline_suppression(tmp):
    """--disable CODE and a '# proxyctl: disable=CODE' line above switch a finding off."""
    warn = write(f"{tmp}/warn.cfg", ONE_WARNING)
    r = run("check", warn, "--disable", "PX102")
    check(r.rc == 0 and r.out == "", "--disable", r)
    r = run("check", warn, "--disable", "PX301,PX102")
    check(r.rc == 0, "--disable with a list", r)
    r = run("check", "--disable", "PX301,PX102", "--disable", "PX505", warn)
    check(r.rc == 0, "--disable before the file, repeated", r)
    r = run("check", warn, "--disable", "PX999")
    check(r.rc == 2 and "PX999" in r.err, "unknown code is a usage error", r)
    sup = write(f"{tmp}/sup.cfg", "socks -i127.0.0.1 -p1080\n# proxyctl: disable=PX102\nforce\n")
    r = run("check", sup)
    check(r.rc == 0 and r.out == "", "suppression on the line above", r)
    other = write(f"{tmp}/other.cfg", "socks -i127.0.0.1 -p1080\n# proxyctl: disable=PX101\nforce\n")
    r = run("check", other)
    check(r.rc == 1 and "[PX102]" in r.out, "another code does not suppress", r)


def run_in_pty(args, env):
    """Runs proxyctl with stdout on a terminal; returns (status, output bytes)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([PROXYCTL, *args], stdout=slave, stderr=slave, env=proxyctl_env(env))
    os.close(slave)
    out = read_terminal(master, proc)
    os.close(master)
    return proc.wait(timeout=30), out


def test_colour_only_on_a_terminal_without_no_color(tmp):
    """Escape codes appear on a TTY only; NO_COLOR and pipes get plain text."""
    warn = write(f"{tmp}/warn.cfg", ONE_WARNING)
    r = run("check", warn)
    check("\033" not in r.out, "a pipe gets no escape codes", r)
    rc, out = run_in_pty(["check", warn], {})
    check(rc == 1 and b"\033[" in out, "a terminal gets colour: %r" % out[:200])
    rc, out = run_in_pty(["check", warn], {"NO_COLOR": "1"})
    check(rc == 1 and b"\033" not in out and b"[PX102]" in out, "NO_COLOR: %r" % out[:200])
    rc, out = run_in_pty(["check", "--color", "never", warn], {})
    check(b"\033" not in out, "--color never: %r" % out[:200])


# --- output formats ----------------------------------------------------------------------

def test_every_format(tmp):
    """text, gcc, json, sarif and github each produce their documented shape."""
    warn = write(f"{tmp}/warn.cfg", ONE_WARNING)
    r = run("check", "--format", "text", warn)
    check(r.rc == 1 and " 2 | force\n" in r.out and "^~~~~" in r.out, "text has a caret", r)
    r = run("check", "--format", "gcc", warn)
    check(r.out.splitlines()[0].startswith(f"{warn}:2:1: warning: ") and
          r.out.splitlines()[0].endswith("[PX102]"), "gcc", r)
    check(" | " not in r.out, "gcc has no snippet", r)
    r = run("check", "--format", "json", warn)
    doc = loads_valid(SOURCE_DIR, "check", r.out)
    d = doc["files"][0]["diagnostics"][0]
    check(doc["version"] == 1 and d["code"] == "PX102" and d["line"] == 2 and
          d["severity"] == "warning" and d["notes"] and d["fixits"], "json", r)
    check(doc["summary"] == {"errors": 0, "warnings": 1, "infos": 0}, "json summary", r)
    r = run("check", "--format", "sarif", warn)
    doc = json.loads(r.out)
    check(doc["version"] == "2.1.0", "sarif version", r)
    run0 = doc["runs"][0]
    check(run0["tool"]["driver"]["name"] == "proxyctl", "sarif driver", r)
    ids = [rule["id"] for rule in run0["tool"]["driver"]["rules"]]
    res = run0["results"][0]
    check(res["ruleId"] == "PX102" and ids[res["ruleIndex"]] == "PX102", "sarif rule", r)
    check(res["level"] == "warning" and res["message"]["text"], "sarif level/message", r)
    loc = res["locations"][0]["physicalLocation"]
    check(loc["artifactLocation"]["uri"].endswith("warn.cfg"), "sarif uri", r)
    check(loc["region"]["startLine"] == 2 and loc["region"]["startColumn"] == 1, "sarif region", r)
    r = run("check", "--format", "github", warn)
    check(r.rc == 1 and r.out.startswith(f"::warning file={warn},line=2,col=1,") and
          ",title=PX102::" in r.out and len(r.out.splitlines()) == 1, "github", r)
    for fmt in ("text", "gcc", "json", "sarif", "github"):
        r = run("check", "--format", fmt, EXAMPLE)
        check(r.rc == 0, "clean example in " + fmt, r)


def test_sarif_for_an_unreadable_file_points_at_line_1(tmp):
    """GitHub rejects startLine 0; a file-level error goes to line 1."""
    r = run("check", "--format", "sarif", f"{tmp}/missing.cfg")
    check(r.rc == 2, "exit 2", r)
    region = json.loads(r.out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    check(region["startLine"] == 1 and region["startColumn"] == 1, "line 1", r)


def test_rules_lists_every_code(tmp):
    """proxyctl rules prints the table; --json gives the same for scripts."""
    r = run("rules")
    check(r.rc == 0, "rules", r)
    lines = r.out.splitlines()
    check(len(lines) >= 25 and lines[0].startswith("PX000") and
          any(l.startswith("PX102 ") for l in lines), "table", r)
    r = run("rules", "--json")
    rules = json.loads(r.out)
    check(len(rules) == len(lines), "same rows", r)
    check(all(set(x) == {"code", "severity", "name", "summary", "fix", "fixit"} for x in rules),
          "fields", r)
    check(sum(1 for x in rules if x["fixit"]) >= 18 and
          {x["fixit"] for x in rules} == {"safe", "unsafe", "depends", None}, "fix-it safety", r)
    check(all(x["severity"] in ("error", "warning", "info") for x in rules), "severities", r)


# --- proxyctl show -----------------------------------------------------------------------

def test_show_text_on_the_example(tmp):
    """Each service with the line that set each setting; never a password or hash."""
    r = run("show", EXAMPLE)
    check(r.rc == 0, "show", r)
    text = open(EXAMPLE).read().splitlines()

    def line_of(fragment):
        return next(i + 1 for i, l in enumerate(text) if l.startswith(fragment))

    where = lambda frag: "# %s:%d" % (EXAMPLE, line_of(frag))
    services = [l for l in r.out.splitlines() if l.startswith("service ")]
    check(len(services) == 3, "three services", r)
    check("service socks:127.0.0.1:1080" in r.out, "socks label", r)
    socks = r.out.split("service socks:127.0.0.1:1080")[1].split("\nservice ")[0]
    check("listen 127.0.0.1:1080" in socks and where("socks -i127.0.0.1") in socks, "listen", r)
    check(any(l.strip().startswith("auth strong") and where("auth strong") in l
              for l in socks.splitlines()), "auth with its line", r)
    check(any(l.strip().startswith("allow alice,bob * * 80,443") and where("allow alice,bob") in l
              for l in socks.splitlines()), "acl entry with its line", r)
    check(any(l.strip().startswith("maxconn 200") and where("maxconn 200") in l
              for l in socks.splitlines()), "maxconn", r)
    check(any(l.strip() .startswith("force ") and where("force") in l
              for l in socks.splitlines()), "force", r)
    tcppm = r.out.split("service tcppm:")[1].split("\nglobal")[0]
    check("noforce" in tcppm and "map 127.0.0.1:25" in tcppm, "tcppm target and noforce", r)
    check("nserver 127.0.0.53" in r.out, "globals", r)
    check("user alice CL" in r.out and "user bob CR" in r.out, "users by name and type", r)
    for secret in ("wonderland", "$6$", "saltsalt", "XuN4Ghx8"):
        check(secret not in r.out and secret not in r.err, "no secret " + secret, r)


def test_show_json_on_the_example(tmp):
    """--json: the same model for scripts, without passwords."""
    r = run("show", "--json", EXAMPLE)
    check(r.rc == 0, "show --json", r)
    doc = loads_valid(SOURCE_DIR, "show", r.out)
    check([s["type"] for s in doc["services"]] == ["socks", "proxy", "tcppm"], "services", r)
    socks = doc["services"][0]
    check(socks["listen"]["address"] == "127.0.0.1" and socks["listen"]["port"] == 1080, "listen", r)
    check(socks["auth"]["value"] == ["strong"] and socks["auth"]["source"]["line"] > 0, "auth", r)
    check([e["text"] for e in socks["acl"]] == ["allow alice,bob * * 80,443", "deny *"], "acl", r)
    check(socks["maxconn"]["value"] == 200 and socks["force"]["value"] is True, "maxconn/force", r)
    check(doc["services"][2]["force"]["value"] is False, "noforce", r)
    check(doc["services"][2]["map"] == {"host": "127.0.0.1", "port": 25}, "tcppm map", r)
    check(sorted((u["name"], u["type"]) for u in doc["users"]) == [("alice", "CL"), ("bob", "CR")],
          "users", r)
    check(all(set(u) == {"name", "type", "source"} for u in doc["users"]), "no secret fields", r)
    for secret in ("wonderland", "$6$", "saltsalt"):
        check(secret not in r.out, "no secret " + secret, r)


def test_show_udp_services(tmp):
    """udppm, dnspr and socks say what they do with UDP, in text and JSON."""
    cfg = write(f"{tmp}/udp.cfg",
                "nserver 127.0.0.53\n"
                "udppm -s -i127.0.0.1 5353 127.0.0.53 53\n"
                "dnspr -i127.0.0.1 -p5354\n"
                "socks -i127.0.0.1 -N192.0.2.7\n")
    r = run("show", cfg)
    check(r.rc == 0, "show", r)
    check("udp single-packet: a session ends with the first reply, or after 5s" in r.out,
          "udppm -s", r)
    check("dns A and AAAA answered by the resolver, other types forwarded to 127.0.0.53" in r.out,
          "dnspr", r)
    check("udp-associate relay on the control connection's address, reported as 192.0.2.7 (-N)"
          in r.out, "socks -N", r)
    r = run("show", "--json", cfg)
    check(r.rc == 0, "show --json", r)
    doc = loads_valid(SOURCE_DIR, "show", r.out)
    check([s["type"] for s in doc["services"]] == ["udppm", "dnspr", "socks"], "services", r)
    check(doc["services"][0]["udp"].startswith("udp single-packet"), "udppm json", r)
    check(doc["services"][1]["udp"].startswith("dns A and AAAA"), "dnspr json", r)
    check("192.0.2.7" in doc["services"][2]["udp"], "socks json", r)


def test_show_defaults_and_errors(tmp):
    """Defaults are labelled; a config with errors exits 1, an unreadable one 2."""
    r = run("show", write(f"{tmp}/min.cfg", "socks -p1080\n"))
    check(r.rc == 0, "minimal", r)
    check(any(l.strip().startswith("auth iponly") and "default" in l for l in r.out.splitlines()),
          "default auth", r)
    check(any(l.strip().startswith("maxconn 100") and "# default" in l for l in r.out.splitlines()),
          "default maxconn", r)
    check("listen 0.0.0.0:1080" in r.out, "all interfaces", r)
    r = run("show", write(f"{tmp}/err.cfg", ONE_ERROR))
    check(r.rc == 1 and "[PX001]" in r.err and r.out == "", "errors: diagnostics, no model", r)
    r = run("show", "--json", f"{tmp}/err.cfg")
    doc = loads_valid(SOURCE_DIR, "show", r.out, "show --json with errors")
    check(r.rc == 1 and doc["ok"] is False and doc["services"] is None
          and doc["diagnostics"][0]["code"] == "PX001", "errors with --json: no model", r)
    r = run("show", f"{tmp}/missing.cfg")
    check(r.rc == 2 and "No such file" in r.err, "unreadable", r)
    r = run("show")
    check(r.rc == 2, "FILE is required", r)


def test_show_dns_cache_settings(tmp):
    """nscache and nscache6 sizes with their lines, in text and JSON; 0 without a line."""
    cfg = write(f"{tmp}/dns.cfg", "nscache 4096\nnsrecord intranet.test 127.0.0.1\nsocks -p1080\n")
    r = run("show", cfg)
    check(r.rc == 0, "show", r)
    check(any(l.strip().startswith("nscache 4096") and "dns.cfg:1" in l
              for l in r.out.splitlines()), "nscache with its line", r)
    check("nscache6" not in r.out, "no nscache6 line, none shown", r)
    r = run("show", "--json", cfg)
    doc = loads_valid(SOURCE_DIR, "show", r.out)
    check(doc["globals"]["nscache"]["value"] == 4096, "nscache in JSON", r)
    check(doc["globals"]["nscache6"]["value"] == 0, "nscache6 default in JSON", r)


def test_show_connlim(tmp):
    cfg = write(f"{tmp}/limits.cfg",
                "noconnlim * 127.0.0.5\nconnlim 10 0 *\nconnlim 5 60 alice * * 80\n"
                "allow *\nsocks -p1080\n")
    r = run("show", cfg)
    check(r.rc == 0, "show", r)
    lines = [l.strip() for l in r.out.splitlines()]
    check(any(l.startswith("noconnlim * 127.0.0.5") and "limits.cfg:1" in l for l in lines),
          "noconnlim with its line", r)
    check(any(l.startswith("connlim 10 0 *") and "limits.cfg:2" in l for l in lines),
          "concurrent limit with its line", r)
    check(any(l.startswith("connlim 5 60 alice * * 80") for l in lines), "rate limit", r)
    r = run("show", "--json", cfg)
    doc = loads_valid(SOURCE_DIR, "show", r.out)
    limits = doc["globals"]["connlim"]
    check([l["exception"] for l in limits] == [True, False, False], "limits in order", r)
    check(limits[2]["rate"] == 5 and limits[2]["period"] == 60, "rate and period", r)
    check(limits[2]["fields"][0] == "alice" and limits[2]["fields"][3] == "80", "fields", r)
    check(limits[1]["source"]["line"] == 2, "source line", r)


def test_show_bandwidth_limits(tmp):
    """bandlim lines with rate, direction and ACL, in text and JSON; check --dialect proxyd
    accepts them."""
    cfg = write(f"{tmp}/bw.cfg", "users alice:CL:x\nnobandlimin * 127.0.0.1\n"
                "bandlimin 1000000 alice\nbandlimout 64000\nallow *\nsocks -p1080\n")
    r = run("show", cfg)
    check(r.rc == 0, "show", r)
    lines = [l.strip() for l in r.out.splitlines()]
    check(any(l.startswith("bandlimin 1000000 alice") and "bw.cfg:3" in l for l in lines),
          "bandlimin with its line", r)
    check(any(l.startswith("nobandlimin * 127.0.0.1") for l in lines), "exception", r)
    check(any(l.startswith("bandlimout 64000") for l in lines), "bandlimout", r)
    r = run("show", "--json", cfg)
    doc = loads_valid(SOURCE_DIR, "show", r.out)
    check([(b["direction"], b["exception"], b["rate_bps"], b["acl"])
           for b in doc["globals"]["bandlimits"]] ==
          [("in", True, None, "* 127.0.0.1"), ("in", False, 1000000, "alice"),
           ("out", False, 64000, "")], "bandlimits in JSON", r)
    r = run("check", "--dialect", "proxyd", cfg)
    check("PX503" not in r.out, "proxyd honours bandlim", r)


def test_show_counters(tmp):
    """count lines and the counter file, with N, period, LIMIT and ACL, in text and JSON;
    every service shows how many count lines can hold it; check --dialect proxyd accepts them."""
    cfg = write(f"{tmp}/count.cfg",
                "users alice:CL:x\n"
                "counter /var/lib/proxyd/traffic D /var/log/traffic.%Y-%m-%d\n"
                "nocountin * 127.0.0.1\n"
                "countin 1/alice D 1024 alice\n"
                "countout 2 w 10\n"
                "countall 0 X 5 * 10.0.0.0/8\n"
                "nocountall admin\n"
                "allow *\nsocks -p1080\n")
    r = run("show", cfg)
    check(r.rc == 0, "show", r)
    lines = [l.strip() for l in r.out.splitlines()]

    def shown(prefix, where):
        return any(l.startswith(prefix) and f"count.cfg:{where}" in l for l in lines)

    check(shown("counter /var/lib/proxyd/traffic daily report /var/log/traffic.%Y-%m-%d", 2),
          "counter file with its report and line", r)
    check(shown("nocountin * 127.0.0.1", 3), "nocountin with its line", r)
    check(shown("countin 1/alice daily 1024 alice", 4), "countin with period spelled out", r)
    check(shown("countout 2 weekly 10", 5), "countout, lower-case TYPE", r)
    check(shown("countall 0 never 5 * 10.0.0.0/8", 6), "countall, unknown TYPE never resets", r)
    check(shown("nocountall admin", 7), "nocountall", r)
    check(any(l.startswith("limits 3 count line(s)") for l in lines),
          "the service counts the count lines, not the exceptions", r)

    r = run("show", "--json", cfg)
    doc = loads_valid(SOURCE_DIR, "show", r.out)
    counter = doc["globals"]["counter"]
    check((counter["file"], counter["report"], counter["report_period"],
           counter["source"]["line"]) ==
          ("/var/lib/proxyd/traffic", "/var/log/traffic.%Y-%m-%d", "daily", 2),
          "counter file in JSON", r)
    counters = doc["globals"]["counters"]
    check([(c["kind"], c["exception"], c.get("number"), c.get("comment"), c.get("period"),
            c.get("limit_bytes"), c["acl"], c["source"]["line"]) for c in counters] ==
          [("in", True, None, None, None, None, "* 127.0.0.1", 3),
           ("in", False, 1, "alice", "daily", 1024 * 1024 * 1024, "alice", 4),
           ("out", False, 2, "", "weekly", 10 * 1024 * 1024, "", 5),
           ("all", False, 0, "", "never", 5 * 1024 * 1024, "* 10.0.0.0/8", 6),
           ("all", True, None, None, None, None, "admin", 7)], "counters in JSON", r)
    check(doc["services"][0]["limits"] == {"connlim": 0, "bandlimits": 0, "counters": 3},
          "per-service limit counts", r)

    # Two arguments: TYPE without REPORT is no report, as in 3proxy.
    bare = write(f"{tmp}/bare.cfg", "counter /var/lib/proxyd/traffic D\nsocks -p1080\n")
    r = run("show", "--json", bare)
    doc = loads_valid(SOURCE_DIR, "show", r.out)
    check(doc["globals"]["counter"]["report"] is None and
          doc["globals"]["counter"]["report_period"] == "never", "no report without REPORT", r)
    check(doc["globals"]["counters"] == [], "no count lines", r)
    r = run("show", bare)
    check(any(l.strip().startswith("counter /var/lib/proxyd/traffic") and "report" not in l
              for l in r.out.splitlines()), "counter line without report", r)

    r = run("check", "--dialect", "proxyd", cfg)
    check("PX503" not in r.out and "PX502" not in r.out, "proxyd honours the count lines", r)
    check("PX510" not in r.out, "proxyd loads counts wherever the lines are", r)
    r = run("check", "--dialect", "3proxy", cfg)
    check("PX510" not in r.out, "counter above every count line: fine for 3proxy", r)


# --- bad input -----------------------------------------------------------------------------

def test_show_mail_services_default_host(tmp):
    """pop3p, smtpp and ftppr show their -h default host (or that logins name it) and delimchar."""
    cfg = write(f"{tmp}/mail.cfg", "delimchar #\npop3p -p1110 -h127.0.0.1:2110\npop3p -p1111\n")
    r = run("show", cfg)
    check(r.rc == 0, "show", r)
    check("default-host 127.0.0.1:2110" in r.out, "-h shown", r)
    check("default-host (none: logins name the host)" in r.out, "no -h", r)
    check('delimchar "#"' in r.out, "delimchar, quoted as a word", r)
    r = run("show", "--json", cfg)
    doc = loads_valid(SOURCE_DIR, "show", r.out)
    check(doc["services"][0]["default_host"] == {"host": "127.0.0.1", "port": 2110}, "json -h", r)
    check(doc["services"][1]["default_host"] is None, "json no -h", r)
    check(doc["globals"]["delimchar"]["value"] == "#", "json delimchar", r)


def expect_clear_rejection(r, what):
    check(r.rc in (1, 2), what + ": exit 1 or 2", r)
    check("PX0" in r.out, what + ": a syntax diagnostic code", r)


def test_binary_garbage(tmp):
    """64 KiB of random bytes: findings in every format, no crash, no hang."""
    garbage = write(f"{tmp}/garbage.bin", os.urandom(64 * 1024))
    for fmt in ("text", "gcc", "json", "sarif", "github"):
        # text and gcc are held to valid UTF-8 in test_text_output_is_valid_utf8_for_garbage.
        strict = fmt not in ("text", "gcc")
        r = run("check", "--format", fmt, garbage, timeout=20, strict_utf8=strict)
        check(r.rc == 1, "garbage is a finding (" + fmt + ")", r)
        if fmt in ("json", "sarif"):
            loads_valid(SOURCE_DIR, "check", r.out) if fmt == "json" else json.loads(r.out)
    r = run("show", garbage, timeout=20, strict_utf8=False)
    check(r.rc == 1 and r.out == "", "show refuses garbage", r)


def test_text_output_is_valid_utf8_for_garbage(tmp):
    """Messages quoting raw bytes (a `$file` path) are escaped in text and gcc output."""
    garbage = write(f"{tmp}/garbage.bin",
                    b"users $\xbc\xfe\x01junk\nfr\xffb\nsocks -i127.0.0.1 -p1080\n")
    for fmt in ("text", "gcc"):
        r = run("check", "--format", fmt, garbage)  # strict: fails on invalid UTF-8
        check(r.rc == 1, fmt, r)


def test_100_mb_single_line(tmp):
    """A 100 MB line: a line-length error, quickly, with bounded output."""
    path = f"{tmp}/long.cfg"
    with open(path, "wb") as f:
        f.write(b"users ")
        chunk = b"a" * (1 << 20)
        for _ in range(100):
            f.write(chunk)
        f.write(b"\n")
    r = run("check", "--format", "gcc", path, timeout=20)
    check(r.rc == 1 and "[PX015]" in r.out, "line too long", r)
    check(len(r.out) < 64 * 1024, "output is bounded, not the line echoed", r)
    check(r.elapsed < 15, "finished in %.1fs" % r.elapsed, r)
    r = run("check", path, timeout=20)
    check(len(r.out) < 64 * 1024, "text snippet is windowed", r)


MIB = 1 << 20


def stream_to_stdin(args, total):
    """Runs proxyctl with `total` bytes of comment lines written to its standard input,
    1 MiB at a time; returns the Result and how many bytes the pipe took before proxyctl
    closed it (all of them if it read to the end)."""
    start = time.monotonic()
    proc = subprocess.Popen([PROXYCTL, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=proxyctl_env())
    chunk = (b"# " + b"p" * 1021 + b"\n") * 1024
    taken = 0
    try:
        while taken < total:
            proc.stdin.write(chunk)
            taken += len(chunk)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.wait(timeout=60)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        try:
            stream.close()
        except BrokenPipeError:
            pass
    return finished(subprocess.CompletedProcess(args, proc.returncode, out, err), start), taken


def test_larger_than_512_mib_is_refused(tmp):
    """A file or standard input over 512 MiB, the most 3proxy reads: PX000 naming the limit,
    exit 2; fmt refuses it too; an endless stream is not read far past the limit."""
    big = f"{tmp}/big.cfg"
    with open(big, "wb") as f:
        f.truncate(512 * MIB + 1)  # sparse: nothing is written
    r = run("check", "--format", "json", big)
    doc = loads_valid(SOURCE_DIR, "check", r.out)
    check(r.rc == 2 and doc["files"][0]["diagnostics"][0]["code"] == "PX000"
          and "is larger than 512 MiB" in r.out, "a file", r)
    r = run("fmt", big)
    check(r.rc == 2 and "larger than 512 MiB" in r.err and r.out == "", "fmt, a file", r)
    r, taken = stream_to_stdin(["check", "--format", "json", "-"], 1024 * MIB)
    doc = loads_valid(SOURCE_DIR, "check", r.out)
    check(r.rc == 2 and doc["files"][0]["diagnostics"][0]["message"]
          == "cannot read '<stdin>': is larger than 512 MiB", "standard input", r)
    check(taken < 600 * MIB, "stopped reading at %d MiB of 1024" % (taken >> 20), r)


def test_nul_bytes(tmp):
    """NUL bytes are reported, not silently cut."""
    path = write(f"{tmp}/nul.cfg", b"socks -i127.0.0.1 -p1080\n\0\0\nusers a\0b:CL:x\n")
    r = run("check", "--format", "json", path)
    expect_clear_rejection(r, "NUL")
    check("PX016" in r.out, "binary-content code", r)
    loads_valid(SOURCE_DIR, "check", r.out)


def test_invalid_utf8(tmp):
    """Invalid UTF-8 reaches no output raw: \\xNN in text, valid JSON/SARIF."""
    path = write(f"{tmp}/bad.cfg",
                 b"users \xff\xfe:CL:x\nauth strong\nallow \xc3\x28\nfr\xffb 1\n"
                 b"socks -i127.0.0.1 -p1080\n")
    r = run("check", path)  # run() fails if stdout is not valid UTF-8
    check(r.rc == 1 and "\\xff" in r.out, "escaped in text", r)
    for fmt in ("json", "sarif"):
        r = run("check", "--format", fmt, path)
        json.loads(r.out)
    r = run("check", "--format", "github", path)
    check(all(l.startswith("::") for l in r.out.splitlines()), "one command per line", r)
    bad_name = write(f"{tmp}/n\xe9\x01.cfg".encode("latin-1").decode("utf-8", "surrogateescape"),
                     CLEAN)
    r = run("check", "--format", "json", "--severity", "info", bad_name)
    doc = loads_valid(SOURCE_DIR, "check", r.out)
    check("\\x" in doc["files"][0]["path"], "path escaped in json", r)


def test_directory_and_unreadable_file(tmp):
    """A directory without config files, a dangling path and (when not root) a mode-000
    file: exit 2, clear message."""
    os.mkdir(f"{tmp}/conf.d")
    r = run("check", f"{tmp}/conf.d")
    check(r.rc == 2 and "no configuration files" in r.err and f"{tmp}/conf.d" in r.err,
          "directory", r)
    r = run("show", f"{tmp}/conf.d")
    check(r.rc == 2 and "directory" in r.err, "show directory", r)
    os.symlink(f"{tmp}/nowhere/x.cfg", f"{tmp}/dangling.cfg")
    r = run("check", f"{tmp}/dangling.cfg")
    check(r.rc == 2 and "cannot read" in r.out, "dangling symlink", r)
    if os.geteuid() != 0:
        locked = write(f"{tmp}/locked.cfg", CLEAN)
        os.chmod(locked, 0)
        r = run("check", locked)
        check(r.rc == 2 and "Permission denied" in r.out, "mode 000", r)
    r = run("check", "--format", "sarif", f"{tmp}/dangling.cfg")
    check(r.rc == 2 and json.loads(r.out)["runs"][0]["results"][0]["ruleId"] == "PX000", "sarif", r)


def test_empty_file(tmp):
    """An empty file (or one with only comments) serves nothing: check says so, PX312, exit 1,
    and show has no effective configuration to show."""
    r = run("check", write(f"{tmp}/empty.cfg", ""))
    check(r.rc == 1 and "PX312" in r.out and "no service line" in r.out, "empty", r)
    r = run("check", write(f"{tmp}/comments.cfg", "# nothing here\n\n"))
    check(r.rc == 1 and "PX312" in r.out, "comments only", r)
    r = run("show", f"{tmp}/empty.cfg")
    check(r.rc == 1 and "PX312" in r.err and "has errors" in r.err, "show empty", r)
    r = run("check", "-", stdin=b"")
    check(r.rc == 1 and "PX312" in r.out, "empty stdin", r)


def set_example():
    global EXAMPLE
    EXAMPLE = os.path.join(SOURCE_DIR, "examples", "proxyd.cfg")


def main():
    return script_main(globals(), __doc__, "proxyctl-cli-", setup=set_example)


if __name__ == "__main__":
    sys.exit(main())
