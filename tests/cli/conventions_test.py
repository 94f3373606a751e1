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
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from schemas import loads_valid  # noqa: E402
from script_tests import check, run_tests, write  # noqa: E402

PROXYCTL = ""
SOURCE_DIR = ""

# One warning (PX102: force written below its service).
ONE_WARNING = "socks -i127.0.0.1 -p1080\nforce\n"
# One error (PX001: unknown directive).
ONE_ERROR = "socks -i127.0.0.1 -p1080\nfrobnicate now\n"
CLEAN = ("users alice:CL:wonderland\nauth strong\nallow alice\ndeny *\n"
         "socks -i127.0.0.1 -p1080\n")
SUMMARY = re.compile(r"^proxyctl check: (\d+) files? checked, (.*) \((\d+ ms|\d+\.\d s)\)$")


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout.decode()
        self.err = proc.stderr.decode()

    def __repr__(self):
        return "rc=%d\n--- stdout\n%s\n--- stderr\n%s" % (self.rc, self.out[:3000], self.err[:3000])


def env_without_colour():
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    env["PROXYCTL_SOCKET"] = "/nonexistent/proxyd.sock"
    return env


def run(*args, stdin=b"", cwd=None):
    """Runs proxyctl with every stream a pipe."""
    proc = subprocess.run([PROXYCTL, *args], input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env_without_colour(), timeout=30, cwd=cwd)
    result = Result(proc)
    check(result.rc >= 0, "proxyctl %s was killed by signal %d" % (" ".join(args), -result.rc),
          result)
    return result


def terminal_text(data):
    return data.decode().replace("\r\n", "\n")


def run_with_terminal_stdin(args, typed, cwd=None, timeout=30):
    """Runs proxyctl with standard input on a pseudo-terminal where `typed` is typed (end
    it with Ctrl-D, b"\\x04"), stdout and stderr on pipes: (rc, stdout, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([PROXYCTL, *args], stdin=slave, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env_without_colour(), cwd=cwd)
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
                            stderr=subprocess.PIPE, env=env_without_colour(), cwd=cwd)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the process has gone and closed the terminal
                break
            if not data:
                break
            shown += data
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
    r = run("fmt", "x.cfg")
    check(r.rc == 2 and "unknown command 'fmt'" in r.err and "did you mean" not in r.err,
          "fmt: unknown, nothing near", r)
    r = run("CHECK")
    check(r.rc == 2 and "did you mean 'check'?" in r.err, "case differs", r)
    r = run("__completex")
    check(r.rc == 2 and "__complete" not in r.err.replace("'__completex'", ""),
          "the hidden command is never suggested", r)
    r = run("check", "--offline", write(f"{tmp}/c.cfg", CLEAN))
    check(r.rc == 0, "a real subcommand still works", r)
    r = run()
    check(r.rc == 2, "no subcommand at all is still a usage error", r)
    r = run("--version")
    check(r.rc == 0 and r.out.startswith("proxyctl "), "--version before a subcommand", r)


def main():
    global PROXYCTL, SOURCE_DIR
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    PROXYCTL, SOURCE_DIR, name = sys.argv[1:]
    PROXYCTL = os.path.abspath(PROXYCTL)
    return run_tests(globals(), name, "pctl-conv-")


if __name__ == "__main__":
    sys.exit(main())
