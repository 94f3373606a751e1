#!/usr/bin/env python3
"""proxyctl fmt, run as people and CI run it.

Usage: fmt_test.py PROXYCTL SOURCE_DIR TEST_NAME   (TEST_NAME "all" runs every test)

The layout may change spacing, quoting and empty lines only. The proof is the corpus: for
every real-world configuration the effective model (`proxyctl show --json`, positions
left out) and the findings of `proxyctl check` are the same before and after, and a
second pass changes nothing.
"""
import json
import os
import pty
import re
import select
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_tests import check, read, script_main, write  # noqa: E402

PROXYCTL = ""
SOURCE_DIR = ""


def run(*args, stdin=b"", cwd=None):
    proc = subprocess.run([PROXYCTL, *args], input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60, cwd=cwd)
    check(proc.returncode >= 0, "killed by signal %d" % -proc.returncode)
    return proc


POSITIONS = ("source", "file", "acl_flush", "line", "column", "length")


def without_positions(value):
    """The model with every source position dropped: lines move when empty lines go."""
    if isinstance(value, dict):
        return {k: without_positions(v) for k, v in value.items()
                if k not in POSITIONS and not k.endswith("_source")}
    if isinstance(value, list):
        return [without_positions(v) for v in value]
    if isinstance(value, str):
        return re.sub(r"(line |:)\d+", r"\1N", value)
    return value


def findings(path, dialect, root):
    """Each finding's code, severity and message, with line numbers taken out."""
    proc = run("check", "--format", "json", "--dialect", dialect, "--root", root,
               "--severity", "info", path)
    report = json.loads(proc.stdout)
    out = []
    for f in report["files"] if "files" in report else [report]:
        for d in f.get("diagnostics", []):
            message = re.sub(r":\d+", ":N", re.sub(r"line \d+", "line N", d["message"]))
            out.append((d["code"], d["severity"], message))
    return sorted(out)


def model(path, dialect, root):
    proc = run("show", "--json", "--dialect", dialect, "--root", root, path)
    if not proc.stdout:
        return None
    return without_positions(json.loads(proc.stdout))


def test_corpus_meaning_is_kept_and_a_second_pass_changes_nothing(tmp):
    """Every real-world configuration: same model, same findings, idempotent, in both
    dialects and with --separate-blocks."""
    corpus = os.path.join(SOURCE_DIR, "tests", "corpus", "real-world")
    names = sorted(n for n in os.listdir(corpus) if n != "MANIFEST.tsv")
    check(len(names) >= 80, "the corpus is there")
    changed = 0
    for name in names:
        original = os.path.join(corpus, name)
        for blocks in ([], ["--separate-blocks"]):
            first = run("fmt", *blocks, original)
            check(first.returncode == 0, "fmt " + name, first.stderr.decode())
            # Same base name, so messages that name the file compare equal.
            os.makedirs(os.path.join(tmp, "out"), exist_ok=True)
            formatted = write(os.path.join(tmp, "out", name), first.stdout)
            second = run("fmt", *blocks, formatted)
            check(second.stdout == first.stdout, "second pass changed " + name)
            if first.stdout != open(original, "rb").read():
                changed += 1
            for dialect in ("3proxy", "proxyd"):
                before = model(original, dialect, corpus)
                after = model(formatted, dialect, corpus)
                check(before == after, "%s: the %s model changed" % (name, dialect),
                      json.dumps([before, after])[:4000])
                a, b = findings(original, dialect, corpus), findings(formatted, dialect, corpus)
                check(a == b, "%s: %s findings changed" % (name, dialect), repr((a, b))[:4000])
    check(changed > 10, "the corpus gave the layout something to do (%d runs)" % changed)


MESSY = "auth   strong\n\n\nusers \"alice:CL:secret\"\nsocks  -p1080\n"
TIDY = "auth strong\n\nusers alice:CL:secret\nsocks -p1080\n"


def test_prints_the_layout_of_a_file_or_of_standard_input(tmp):
    """One file or '-' (or nothing, from a pipe) prints the layout on stdout, exit 0."""
    path = write(os.path.join(tmp, "a.cfg"), MESSY)
    for args, stdin in ((["fmt", path], b""), (["fmt", "-"], MESSY.encode()),
                        (["fmt"], MESSY.encode())):
        proc = run(*args, stdin=stdin)
        check(proc.returncode == 0 and proc.stdout.decode() == TIDY, repr(args), repr(proc))
    check(read(path) == MESSY, "printing leaves the file alone")


def test_check_exits_1_and_names_each_file_not_in_the_layout(tmp):
    """--check changes nothing; exit 1 naming the files that would change, 0 when none."""
    messy = write(os.path.join(tmp, "messy.cfg"), MESSY)
    tidy = write(os.path.join(tmp, "tidy.cfg"), TIDY)
    proc = run("fmt", "--check", messy, tidy)
    err = proc.stderr.decode()
    check(proc.returncode == 1 and "would reformat " + messy in err and tidy not in err,
          "one of two", repr(proc))
    check("1 of 2 files would be reformatted" in err and not proc.stdout, "summary", err)
    check(read(messy) == MESSY, "--check leaves the file alone")
    proc = run("fmt", "--check", tidy)
    check(proc.returncode == 0 and not proc.stdout and not proc.stderr, "formatted", repr(proc))


def test_write_rewrites_in_place_keeping_mode_and_symlinks(tmp):
    """--write replaces only files that change, keeps their mode, writes through a
    symlink (the link stays a link) and leaves no temporary file behind."""
    messy = write(os.path.join(tmp, "messy.cfg"), MESSY)
    os.chmod(messy, 0o640)
    tidy = write(os.path.join(tmp, "tidy.cfg"), TIDY)
    os.utime(tidy, (1000000000, 1000000000))
    link = os.path.join(tmp, "link.cfg")
    target = write(os.path.join(tmp, "target.cfg"), MESSY)
    os.symlink("target.cfg", link)
    proc = run("fmt", "--write", messy, tidy, link)
    check(proc.returncode == 0, "write", repr(proc))
    check(read(messy) == TIDY and read(target) == TIDY, "rewritten")
    check(stat.S_IMODE(os.stat(messy).st_mode) == 0o640, "mode kept")
    check(os.path.islink(link), "the link is still a link")
    check(os.stat(tidy).st_mtime == 1000000000, "a formatted file is not touched")
    err = proc.stderr.decode()
    check("reformatted " + messy in err and "reformatted " + link in err and tidy not in err,
          "says what it rewrote", err)
    check(sorted(os.listdir(tmp)) == ["link.cfg", "messy.cfg", "target.cfg", "tidy.cfg"],
          "no temporary file left", repr(os.listdir(tmp)))
    check(run("fmt", "--check", messy, tidy, link).returncode == 0, "now formatted")


def test_bad_input_is_a_usage_error_with_the_reason(tmp):
    """Unreadable files and contradictory options exit 2 and say why."""
    proc = run("fmt", os.path.join(tmp, "missing.cfg"))
    check(proc.returncode == 2 and "missing.cfg: cannot read: No such file" in
          proc.stderr.decode(), "missing", repr(proc))
    proc = run("fmt", tmp)
    check(proc.returncode == 2 and "is a directory" in proc.stderr.decode(), "dir", repr(proc))
    a = write(os.path.join(tmp, "a.cfg"), MESSY)
    for args, words in ((["--write", "--check", a], "exclude each other"),
                        (["--write", "-"], "needs files"),
                        ([a, a], "give one file to print")):
        proc = run("fmt", *args)
        check(proc.returncode == 2 and words in proc.stderr.decode(), repr(args), repr(proc))


def test_standard_input_on_a_terminal_says_it_is_waiting(tmp):
    """With no file and stdin a terminal, fmt says it reads standard input (like cat, it
    then reads until end of file)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(PROXYCTL, [PROXYCTL, "fmt"])
    out = b""
    try:
        while b"Ctrl-D" not in out:
            ready, _, _ = select.select([fd], [], [], 10)
            check(ready, "no prompt within 10 s: " + repr(out))
            out += os.read(fd, 4096)
        os.write(fd, b"socks   -p1\n\x04")
        while b"socks -p1" not in out.split(b"Ctrl-D", 1)[1]:
            ready, _, _ = select.select([fd], [], [], 10)
            check(ready, "no output within 10 s: " + repr(out))
            out += os.read(fd, 4096)
    finally:
        _, status = os.waitpid(pid, 0)
    check(os.waitstatus_to_exitcode(status) == 0, "exit 0", repr(out))
    check(b"reading a configuration from standard input" in out, "the note", repr(out))


def main():
    return script_main(globals(), __doc__, "proxyctl-fmt-")


if __name__ == "__main__":
    sys.exit(main())
