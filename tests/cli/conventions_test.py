#!/usr/bin/env python3
"""Drives the real proxyctl for the command-line conventions people expect of a linter:
typo'd subcommands, standard input at a terminal, the summary line, rule names, directory
walks, .proxyctl.toml, baselines and --stdin-filename.

Usage: conventions_test.py PROXYCTL SOURCE_DIR TEST_NAME   (TEST_NAME "all" runs every test)

Each test_* function is one ctest test (tests/cli/CMakeLists.txt lists them) and runs in
its own temporary directory. Terminal behaviour is checked through a pseudo-terminal.
"""
import json
import os
import pty
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from schemas import loads_valid  # noqa: E402
from script_tests import check, offline_env, read_terminal, run_program  # noqa: E402
from script_tests import script_main, write  # noqa: E402

PROXYCTL = ""
SOURCE_DIR = ""

# One warning (PX102: force written below its service).
ONE_WARNING = "socks -i127.0.0.1 -p1080\nforce\n"
# One error (PX001: unknown directive).
ONE_ERROR = "socks -i127.0.0.1 -p1080\nfrobnicate now\n"
CLEAN = ("users alice:CL:wonderland\nauth strong\nallow alice\ndeny *\n"
         "socks -i127.0.0.1 -p1080\n")
SUMMARY = re.compile(r"^proxyctl check: (\d+) files? checked, (.*) \((\d+ ms|\d+\.\d s)\)$")


def run(*args, stdin=b"", cwd=None):
    """Runs proxyctl with every stream a pipe."""
    return run_program([PROXYCTL, *args], stdin=stdin, env=offline_env(), cwd=cwd)


def terminal_text(data):
    return data.decode().replace("\r\n", "\n")


def run_with_terminal_stdin(args, typed, cwd=None, timeout=30):
    """Runs proxyctl with standard input on a pseudo-terminal where `typed` is typed (end
    it with Ctrl-D, b"\\x04"), stdout and stderr on pipes: (rc, stdout, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([PROXYCTL, *args], stdin=slave, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=offline_env(), cwd=cwd)
    os.close(slave)
    try:
        # The terminal's line discipline holds the line until it is read; Ctrl-D at the
        # start of a line is the end of input.
        os.write(master, typed)
        out, err = proc.communicate(timeout=timeout)
    finally:
        os.close(master)
    return proc.returncode, out.decode(), err.decode()


def run_with_terminal_stdout(args, cwd=None, timeout=30):
    """Runs proxyctl with standard output on a pseudo-terminal, stdin empty and stderr on
    a pipe: (rc, what the terminal showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([PROXYCTL, *args], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=subprocess.PIPE, env=offline_env(), cwd=cwd)
    os.close(slave)
    try:
        shown = read_terminal(master, proc, timeout)
        proc.communicate(timeout=timeout)
    finally:
        os.close(master)
    return proc.returncode, terminal_text(shown)


# --- subcommands -------------------------------------------------------------------------

def test_unknown_subcommand_names_the_word_and_the_nearest(tmp):
    """A typo'd subcommand is named with the nearest real one; exit 2 (usage)."""
    r = run("chekc", "x.cfg")
    check(r.rc == 2 and "unknown command 'chekc'" in r.err and "did you mean 'check'?" in r.err,
          "chekc -> check", r)
    check(r.out == "" and "A subcommand is required" not in r.err, "no CLI11 message", r)
    r = run("relaod", "--dry-run")
    check(r.rc == 2 and "did you mean 'reload'?" in r.err, "relaod -> reload", r)
    r = run("stauts")
    check(r.rc == 2 and "did you mean 'status'?" in r.err, "stauts -> status", r)
    r = run("xyzzy", "x.cfg", cwd=tmp)
    check(r.rc == 2 and "unknown command 'xyzzy'" in r.err and "did you mean" not in r.err
          and "proxyctl check" not in r.err, "unknown, nothing near", r)
    listed = re.findall(r"^  (\S+)\s", run("--help").out, re.M)
    r = run("fmt", "--help")
    if "fmt" in listed:
        check(r.rc == 0, "fmt is a command here", r)
    else:
        check(r.rc == 2 and "unknown command 'fmt'" in r.err, "fmt: unknown", r)
    r = run("CHECK")
    check(r.rc == 2 and "did you mean 'check'?" in r.err, "case differs", r)
    r = run("__completex")
    check(r.rc == 2 and "__complete" not in r.err.replace("'__completex'", ""),
          "the hidden command is never suggested", r)
    r = run("check", "--offline", write(f"{tmp}/c.cfg", CLEAN))
    check(r.rc == 0, "a real subcommand still works", r)
    r = run("c.cfg", cwd=tmp)
    check(r.rc == 2 and "unknown command 'c.cfg'" in r.err and "proxyctl check c.cfg" in r.err,
          "a file where the command belongs: the hint to check it", r)
    r = run()
    check(r.rc == 2, "no subcommand at all is still a usage error", r)
    r = run("--version")
    check(r.rc == 0 and r.out.startswith("proxyctl "), "--version before a subcommand", r)


# --- standard input ----------------------------------------------------------------------

def test_standard_input_at_a_terminal_is_announced(tmp):
    """check with no FILE on a terminal says on stderr that it reads standard input (end
    with Ctrl-D), then checks what was typed; from a pipe it says nothing."""
    rc, out, err = run_with_terminal_stdin(["check", "--format", "gcc"],
                                           ONE_WARNING.encode() + b"\x04", cwd=tmp)
    check("reading the configuration from standard input" in err and "Ctrl-D" in err,
          "announced: %r" % err)
    check(rc == 1 and out.startswith("<stdin>:2:1: warning:"), "typed text checked: %r %r"
          % (rc, out))
    rc, out, err = run_with_terminal_stdin(["check", "-q", "-"], CLEAN.encode() + b"\x04",
                                           cwd=tmp)
    check(rc == 0 and err == "", "--quiet: no note: %r" % err)
    r = run("check", stdin=ONE_WARNING.encode(), cwd=tmp)
    check(r.rc == 1 and r.err == "", "a pipe is read silently", r)
    r = run("check", "-", stdin=CLEAN.encode(), cwd=tmp)
    check(r.rc == 0 and r.out == "" and r.err == "", "'-' from a pipe: silent", r)


# --- the summary line --------------------------------------------------------------------

def test_summary_line_only_at_a_terminal(tmp):
    """At a terminal, text output ends with files checked, findings by severity and time;
    --quiet drops it; pipes and the CI formats stay the findings alone."""
    clean = write(f"{tmp}/clean.cfg", CLEAN)
    warn = write(f"{tmp}/warn.cfg", ONE_WARNING)
    err = write(f"{tmp}/err.cfg", ONE_ERROR)
    rc, term = run_with_terminal_stdout(["check", clean])
    m = SUMMARY.match(term.rstrip("\n").splitlines()[-1])
    check(rc == 0 and m and m.group(1) == "1" and m.group(2) == "no findings",
          "clean: %r" % term)
    check(term.count("\n") == 1, "a clean check prints the summary alone: %r" % term)
    rc, term = run_with_terminal_stdout(["check", clean, warn, err])
    last = term.rstrip("\n").splitlines()[-1]
    m = SUMMARY.match(last)
    check(rc == 1 and m and m.group(1) == "3" and m.group(2) == "1 error, 1 warning",
          "findings: %r" % term)
    check("[PX102]" in term and "[PX001]" in term, "the findings come first: %r" % term)
    rc, term = run_with_terminal_stdout(["check", "--quiet", clean, warn])
    check(rc == 1 and "files checked" not in term and "[PX102]" in term, "--quiet: %r" % term)
    rc, term = run_with_terminal_stdout(["check", "-q", clean])
    check(rc == 0 and term == "", "-q on a clean file prints nothing: %r" % term)
    for fmt in ("gcc", "json", "sarif", "github"):
        piped = run("check", "--format", fmt, clean, warn)
        rc, term = run_with_terminal_stdout(["check", "--format", fmt, clean, warn])
        check(rc == 1 and term == piped.out,
              "%s at a terminal is what a pipe gets: %r" % (fmt, term))
    r = run("check", clean)
    check(r.rc == 0 and r.out == "" and r.err == "", "a pipe gets no summary", r)
    r = run("check", warn)
    check("checked" not in r.out and "checked" not in r.err, "no summary in a pipe", r)


# --- rules by name -----------------------------------------------------------------------

def test_disable_takes_rule_names_in_any_case(tmp):
    """--disable takes codes and rules' names in any case; an unknown one is a usage error
    that names it and the nearest rule."""
    warn = write(f"{tmp}/warn.cfg", ONE_WARNING)
    err = write(f"{tmp}/err.cfg", ONE_ERROR)
    rules = {r["code"]: r["name"] for r in json.loads(run("rules", "--json").out)}
    px102, px001 = rules["PX102"], rules["PX001"]
    for spelling in ("PX102", "px102", px102, px102.upper(), px102.title()):
        r = run("check", "--offline", "--disable", spelling, warn)
        check(r.rc == 0 and r.out == "", "--disable %s" % spelling, r)
    r = run("check", "--offline", "--disable", "%s,px102" % px001, warn, err)
    check(r.rc == 0, "a list mixing names and codes", r)
    typo = px001[:-2] + px001[-1] + px001[-2]
    r = run("check", "--offline", "--disable", typo, err)
    check(r.rc == 2 and typo in r.err and "did you mean '%s'?" % px001 in r.err,
          "a typo'd name suggests the rule", r)
    r = run("check", "--offline", "--disable", "PX9999", err)
    check(r.rc == 2 and "unknown rule 'PX9999'" in r.err and "proxyctl rules" in r.err,
          "unknown code", r)
    check(r.out == "", "nothing checked after a usage error", r)


# --- --stdin-filename --------------------------------------------------------------------

def test_stdin_filename_names_piped_input_in_every_format(tmp):
    """--stdin-filename NAME replaces <stdin> in text, gcc, json, sarif and github."""
    name = "conf/proxyd.cfg"
    for fmt in ("text", "gcc", "json", "sarif", "github"):
        r = run("check", "--format", fmt, "--stdin-filename", name, "-",
                stdin=ONE_WARNING.encode(), cwd=tmp)
        check(r.rc == 1 and name in r.out and "<stdin>" not in r.out, fmt, r)
    r = run("check", "--format", "json", "--stdin-filename", name, stdin=ONE_WARNING.encode(),
            cwd=tmp)
    doc = loads_valid(SOURCE_DIR, "check", r.out)
    check(doc["files"][0]["path"] == name and doc["files"][0]["diagnostics"][0]["file"] == name,
          "json path", r)
    r = run("check", "--format", "gcc", "--stdin-filename", name, stdin=ONE_WARNING.encode(),
            cwd=tmp)
    check(r.out.startswith(name + ":2:1: warning:"), "gcc position", r)


# --- directories -------------------------------------------------------------------------

def test_directory_is_walked_for_config_files(tmp):
    """A directory stands for its *.cfg and *.conf files below it, sorted; hidden files and
    directories and other names are skipped; none at all is an error that says so."""
    tree = f"{tmp}/etc"
    for d in ("b", "a/deep", ".git", ".hidden"):
        os.makedirs(f"{tree}/{d}")
    write(f"{tree}/z.conf", ONE_WARNING)
    write(f"{tree}/b/one.cfg", ONE_WARNING)
    write(f"{tree}/a/deep/two.cfg", ONE_ERROR)
    write(f"{tree}/a/clean.cfg", CLEAN)
    write(f"{tree}/a/notes.txt", ONE_ERROR)
    write(f"{tree}/a/.swap.cfg", ONE_ERROR)
    write(f"{tree}/.git/x.cfg", ONE_ERROR)
    write(f"{tree}/.hidden/y.cfg", ONE_ERROR)
    r = run("check", "--offline", "--format", "json", tree)
    doc = loads_valid(SOURCE_DIR, "check", r.out)
    paths = [f["path"] for f in doc["files"]]
    check(paths == [f"{tree}/a/clean.cfg", f"{tree}/a/deep/two.cfg", f"{tree}/b/one.cfg",
                    f"{tree}/z.conf"], "sorted, hidden and other names skipped: %r" % paths)
    check(r.rc == 1, "findings", r)
    r = run("check", "--offline", "--format", "gcc", "etc/b", "etc/z.conf", cwd=tmp)
    check(r.out.startswith("etc/b/one.cfg:2:1:") and "etc/z.conf:2:1:" in r.out,
          "a directory and a file mixed, paths as given", r)
    os.makedirs(f"{tmp}/empty/sub")
    write(f"{tmp}/empty/readme.txt", "x")
    r = run("check", "--offline", f"{tmp}/empty")
    check(r.rc == 2 and "no configuration files" in r.err and f"{tmp}/empty" in r.err and
          r.out == "", "an empty directory is an error", r)
    rc, term = run_with_terminal_stdout(["check", "--offline", f"{tree}/b"])
    check("1 file checked" in term, "the summary counts the files walked: %r" % term)


def test_excludes_are_gitignore_style(tmp):
    """exclude: a name without '/' at any depth ("old/", a directory), a leading or inner
    '/' from the config file's directory, '**' across directories; files named on the
    command line are checked whatever the excludes say."""
    root = f"{tmp}/repo"
    for d in ("a/old", "b/c/old", "gen/x/y", "keep"):
        os.makedirs(f"{root}/{d}")
    for f in ("top.cfg", "keep/top.cfg", "a/old/1.cfg", "b/c/old/2.cfg", "gen/x/y/3.conf",
              "gen/x/4.cfg", "keep/ok.cfg"):
        write(f"{root}/{f}", CLEAN)
    write(f"{root}/.proxyctl.toml", 'exclude = ["old/", "/top.cfg", "gen/**/*.conf"]\n')
    r = run("check", "--offline", "--format", "json", root)
    doc = loads_valid(SOURCE_DIR, "check", r.out)
    paths = sorted(os.path.relpath(f["path"], root) for f in doc["files"])
    check(paths == ["gen/x/4.cfg", "keep/ok.cfg", "keep/top.cfg"], "walked: %r" % paths)
    r = run("check", "--offline", "--format", "json", f"{root}/top.cfg", f"{root}/a/old/1.cfg")
    doc = loads_valid(SOURCE_DIR, "check", r.out)
    check(len(doc["files"]) == 2, "named files are always checked", r)


# --- .proxyctl.toml ----------------------------------------------------------------------

def test_project_config_sets_defaults_that_options_override(tmp):
    """.proxyctl.toml upward from the file sets dialect, severity, disabled rules, per-path
    overrides and excludes; options win; --no-config ignores it."""
    proj = f"{tmp}/proj"
    os.makedirs(f"{proj}/sub/legacy")
    os.makedirs(f"{proj}/vendor")
    warn = write(f"{proj}/sub/warn.cfg", ONE_WARNING)
    err = write(f"{proj}/sub/err.cfg", ONE_ERROR)
    legacy = write(f"{proj}/sub/legacy/old.cfg", ONE_ERROR)
    write(f"{proj}/vendor/theirs.cfg", ONE_ERROR)
    write(f"{proj}/sub/x.bak.cfg", ONE_ERROR)
    r = run("check", "--offline", warn)
    check(r.rc == 1, "no config file: the warning counts", r)
    write(f"{proj}/.proxyctl.toml",
          'severity = "error"\n'
          'disable = ["px999-not-a-rule"]\n')
    r = run("check", "--offline", warn)
    check(r.rc == 2 and f"{proj}/.proxyctl.toml:2:" in r.err and "px999-not-a-rule" in r.err,
          "an unknown rule in the file: FILE:LINE, exit 2", r)
    r = run("check", "--offline", "--no-config", warn)
    check(r.rc == 1, "--no-config ignores even a bad file", r)
    write(f"{proj}/.proxyctl.toml",
          '# project defaults\n'
          'severity = "error"\n'
          'exclude = ["vendor/", "*.bak.cfg"]\n'
          '\n'
          '[[overrides]]\n'
          'files = ["sub/legacy/**"]\n'
          'disable = ["unknown-directive"]\n')
    r = run("check", "--offline", warn)
    check(r.rc == 0 and r.out == "", "severity from the file hides the warning", r)
    r = run("check", "--offline", "--severity", "warning", warn)
    check(r.rc == 1 and "[PX102]" in r.out, "--severity wins over the file", r)
    r = run("check", "--offline", "--no-config", warn)
    check(r.rc == 1, "--no-config", r)
    r = run("check", "--offline", err, legacy)
    check(r.rc == 1 and err in r.out and legacy not in r.out,
          "the override disables PX001 for legacy/ only", r)
    r = run("check", "--offline", "--format", "json", proj)
    doc = loads_valid(SOURCE_DIR, "check", r.out)
    paths = [f["path"] for f in doc["files"]]
    check(paths == [f"{proj}/sub/err.cfg", f"{proj}/sub/legacy/old.cfg", f"{proj}/sub/warn.cfg"],
          "excludes drop vendor/ and *.bak.cfg from the walk: %r" % paths)
    r = run("check", "--offline", "--format", "gcc", "--stdin-filename", "sub/legacy/new.cfg",
            stdin=ONE_ERROR.encode(), cwd=proj)
    check(r.rc == 0, "stdin named into legacy/ gets its override", r)
    r = run("check", "--offline", stdin=ONE_WARNING.encode(), cwd=f"{proj}/sub")
    check(r.rc == 0, "stdin: the file is found from the working directory", r)
    write(f"{proj}/.proxyctl.toml", 'dialect = "3proxy"\nseverity = "warning"\nservrity = 1\n')
    r = run("check", "--offline", warn)
    check(r.rc == 2 and ".proxyctl.toml:3:" in r.err and "unknown key 'servrity'" in r.err
          and "did you mean 'severity'?" in r.err, "an unknown key names its line", r)
    write(f"{proj}/.proxyctl.toml", 'dialect = "nginx"\n')
    r = run("check", "--offline", warn)
    check(r.rc == 2 and ".proxyctl.toml:1:" in r.err and "dialect" in r.err, "a bad value", r)
    write(f"{proj}/.proxyctl.toml", 'severity = [\n')
    r = run("check", "--offline", warn)
    check(r.rc == 2 and ".proxyctl.toml:" in r.err, "a TOML syntax error", r)


def test_project_config_dialect(tmp):
    """dialect in the file applies unless --dialect is given."""
    # An NT: password: an error for proxyd, fine for a real 3proxy.
    cfg = write(f"{tmp}/c.cfg", "users bob:NT:0123456789ABCDEF0123456789ABCDEF\n" + CLEAN)
    base = run("check", "--offline", "--format", "gcc", "--dialect", "proxyd", cfg)
    three = run("check", "--offline", "--format", "gcc", "--dialect", "3proxy", cfg)
    check(base.out != three.out, "the dialects differ on this file", (base, three))
    write(f"{tmp}/.proxyctl.toml", 'dialect = "3proxy"\n')
    r = run("check", "--offline", "--format", "gcc", cfg)
    check(r.rc == 0 and r.out == three.out, "the file's dialect", r)
    r = run("check", "--offline", "--format", "gcc", "--dialect", "proxyd", cfg)
    check(r.out == base.out, "--dialect wins", r)


# --- baselines ---------------------------------------------------------------------------

def test_baseline_reports_only_new_findings(tmp):
    """--write-baseline records the findings; --baseline (or baseline = in the file) fails
    only on new ones, by line text rather than line number; the count is reported."""
    cfg = write(f"{tmp}/proxyd.cfg", ONE_ERROR + "force\n")
    base = f"{tmp}/baseline.json"
    r = run("check", "--offline", "--write-baseline", base, cfg)
    check(r.rc == 0 and r.out == "" and "wrote 2 findings" in r.err, "written", r)
    with open(base) as f:
        doc = json.load(f)
    codes = sorted(x["code"] for x in doc["findings"])
    check(doc["version"] == 1 and len(codes) == 2 and codes[0] == "PX001"
          and all(x["file"] == "proxyd.cfg" for x in doc["findings"]), "baseline content: %r" % doc)
    r = run("check", "--offline", "--baseline", base, cfg)
    check(r.rc == 0 and r.out == "" and "2 findings in the baseline" in r.err, "all known", r)
    r = run("check", "--offline", "--quiet", "--baseline", base, cfg)
    check(r.rc == 0 and r.err == "", "--quiet drops the note", r)
    # Lines added above move every finding down: still known.
    write(cfg, "# a comment\n\n" + ONE_ERROR + "force\n")
    r = run("check", "--offline", "--format", "gcc", "--baseline", base, cfg)
    check(r.rc == 0 and r.out == "", "line numbers do not matter", r)
    # A new finding fails, and is the only one reported.
    write(cfg, "# a comment\n\n" + ONE_ERROR + "force\nbogus directive\n")
    r = run("check", "--offline", "--format", "gcc", "--baseline", base, cfg)
    check(r.rc == 1 and r.out.count("[PX001]") == 1 and "bogus" in r.out and "frobnicate" not in
          r.out, "only the new finding", r)
    rc, term = run_with_terminal_stdout(["check", "--offline", "--baseline", base, cfg])
    check(rc == 1 and "1 error, 2 in the baseline" in term, "the summary counts them: %r" % term)
    # From another directory, and through the project file.
    os.makedirs(f"{tmp}/elsewhere")
    r = run("check", "--offline", "--baseline", "../baseline.json", "../proxyd.cfg",
            cwd=f"{tmp}/elsewhere")
    check(r.rc == 1 and r.out.count("[PX001]") == 1, "paths are relative to the baseline", r)
    write(f"{tmp}/.proxyctl.toml", 'baseline = "baseline.json"\n')
    r = run("check", "--offline", "--format", "gcc", cfg)
    check(r.rc == 1 and "bogus" in r.out and "frobnicate" not in r.out, "baseline = in the file", r)
    r = run("check", "--offline", "--no-config", "--format", "gcc", cfg)
    check("frobnicate" in r.out, "--no-config drops it", r)
    r = run("check", "--offline", "--baseline", f"{tmp}/missing.json", cfg)
    check(r.rc == 2 and "missing.json" in r.err, "a missing baseline is an error", r)
    write(f"{tmp}/bad.json", "[1, 2]")
    r = run("check", "--offline", "--baseline", f"{tmp}/bad.json", cfg)
    check(r.rc == 2 and "bad.json" in r.err, "a malformed baseline is an error", r)
    r = run("check", "--offline", "--write-baseline", f"{tmp}/partial.json", cfg,
            f"{tmp}/missing.cfg")
    check(r.rc == 2 and "[PX000]" in r.out and "not written" in r.err
          and not os.path.exists(f"{tmp}/partial.json"), "no baseline from an unreadable file", r)
    r = run("check", "--offline", "--baseline", base, "--write-baseline", base, cfg)
    check(r.rc == 2, "--baseline and --write-baseline exclude each other", r)


def main():
    return script_main(globals(), __doc__, "pctl-conv-")


if __name__ == "__main__":
    sys.exit(main())
