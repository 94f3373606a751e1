#!/usr/bin/env python3
"""proxyctl check --fix and --diff, run as people and CI run them.

Usage: fix_test.py PROXYCTL SOURCE_DIR TEST_NAME   (TEST_NAME "all" runs every test)

--diff output applies with patch -p1 and gives what --fix writes; --fix keeps the mode,
changes nothing the second time, leaves unsafe fixes to --unsafe-fixes, and fails clearly
where it cannot write. Every rule with a fix-it has a case whose finding --fix removes.
"""
import json
import os
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_tests import Result, check, read, run_program, script_main, write  # noqa: E402

PROXYCTL = ""
SOURCE_DIR = ""


def run(*args, cwd=None, stdin=b""):
    return run_program([PROXYCTL, "check", "--offline", "--no-config", *args], stdin=stdin,
                       timeout=60, cwd=cwd)


# One configuration per fixable case: (rule, text, unsafe). --fix (with --unsafe-fixes for
# the unsafe ones) must remove the rule's finding.
CASES = [
    ("PX001", "Socks -i127.0.0.1 -p1080\n", True),
    ("PX001", "alice:CL:x\n", True),
    ("PX009", "socks -i127.0.0.1 -p 1080\n", True),
    ("PX013", "maxconn 10 # per service\nsocks -i127.0.0.1 -p1080\n", True),
    ("PX025", "log /var/log/proxyd.log D socks -i127.0.0.1 -p1080\n", True),
    ("PX027", "# proxyctl: disable=unknwon-directive\nsocks -i127.0.0.1 -p1080\n", False),
    ("PX029", "# proxyctl: disable=PX113\nsocks -i127.0.0.1 -p1080\n", False),
    ("PX102", "socks -i127.0.0.1 -p1080\nforce\n", True),
    ("PX103", "force socks -i127.0.0.1 -p3128\n", True),
    ("PX103", "force now\nsocks -i127.0.0.1 -p3128\n", True),
    ("PX105", "socks -i127.0.0.1 -p1080\nnoforce\nproxy -i127.0.0.1 -p3128\n", True),
    ("PX107", "allow * 10.0.0.0/8\nsocks -i127.0.0.1 -p1080\nallow * 192.168.0.0/16\n"
              "proxy -i127.0.0.1 -p3128\n", True),
    ("PX111", "pidfile /run/proxyd.pid\ndaemon\nsocks -i127.0.0.1\n", False),
    ("PX111", "pidfile /run/proxyd.pid\nsocks -i127.0.0.1\ndaemon\n", True),
    ("PX202", "users alice:CL:wonderland\nauth strong\nallow alcie\nsocks -i127.0.0.1\n", True),
    ("PX208", "users alice:cl:secret\n", True),
    ("PX208", "users alice:secret\n", True),
    ("PX208", "users /etc/3proxy/passwd\n", True),
    ("PX211", "users alice:CR:$1$salt$hash\n", True),
    ("PX213", "allow * * *example.com\nsocks -i127.0.0.1\n", True),
    ("PX214", "allow * 10.1.2.3/8\nsocks -i127.0.0.1\n", False),
    ("PX215", "users alice:NT:8846f7eaee8fb117ad06bdd830b7586c\n", True),
    ("PX306", "timeouts 1 5 30 60 180 1800 15 60 15 5 99\n", False),
]


def codes(tmp, path):
    r = run("--severity", "info", "--format", "gcc", path, cwd=tmp)
    return r.out


def test_every_fixable_rule_is_fixed(tmp):
    """Each case: the finding is there, --fix (--unsafe-fixes when unsafe) removes it, and
    a safe-only run leaves an unsafe case untouched."""
    for i, (code, text, unsafe) in enumerate(CASES):
        path = write(os.path.join(tmp, "case%d.cfg" % i), text)
        check("[%s]" % code in codes(tmp, path), code + " reported before", text)
        # The JSON output and `proxyctl rules` say the same about the fix's safety.
        report = json.loads(run("--severity", "info", "--format", "json", path, cwd=tmp).out)
        flags = {f["unsafe"] for d in report["files"][0]["diagnostics"] if d["code"] == code
                 for f in d["fixits"]}
        check(flags == {unsafe}, code + ": fix-its marked unsafe=%s" % unsafe, report)
        rules = subprocess.run([PROXYCTL, "rules", code], capture_output=True, text=True,
                               timeout=30).stdout
        check(("is unsafe" in rules or "else unsafe" in rules) if unsafe else "is safe" in rules
              or "else unsafe" in rules, code + ": proxyctl rules says so", rules)
        safe = run("--severity", "info", "--fix", path, cwd=tmp)
        if unsafe:
            check(read(path) == text, code + ": an unsafe fix waits for --unsafe-fixes",
                  read(path))
            check("unsafe fix" in safe.err and "--unsafe-fixes" in safe.err,
                  code + ": says so", safe)
            run("--severity", "info", "--fix", "--unsafe-fixes", path, cwd=tmp)
        check(read(path) != text, code + ": fixed", safe)
        check("[%s]" % code not in codes(tmp, path), code + " gone after --fix", read(path))


def test_overlapping_fixes_converge_in_one_run(tmp):
    """Splitting 'force socks' and joining '-p 1080' touch the same text: the first goes
    in the first round, the other in the next."""
    path = write(os.path.join(tmp, "a.cfg"), "force socks -i127.0.0.1 -p 1080\n")
    r = run("--fix", "--unsafe-fixes", path, cwd=tmp)
    check(read(path) == "force\nsocks -i127.0.0.1 -p1080\n", "both applied", read(path))
    check("fixed 2 findings" in r.err, "counted", r)
    again = run("--fix", "--unsafe-fixes", path, cwd=tmp)
    check(again.err == "", "nothing left to fix", again)


def test_unsafe_fix_is_marked_in_the_text_output(tmp):
    path = write(os.path.join(tmp, "a.cfg"), "users alice:cl:secret\nallow * 10.1.2.3/8\n")
    r = run(path, cwd=tmp)
    check("fix-it (unsafe): write the type in upper case" in r.out, "unsafe marked", r)
    check("fix-it: write the network address" in r.out, "safe as before", r)


def test_diff_applies_with_patch_and_equals_fix(tmp):
    text = ("timeouts 1 5 30 60 180 1800 15 60 15 5 99\n" + "maxconn 10\n" * 8 +
            "allow * 10.1.2.3/8\nsocks -i127.0.0.1\n")
    os.makedirs(os.path.join(tmp, "conf"))
    for name in ("fixed", "patched"):
        write(os.path.join(tmp, name + ".cfg"), text)
    d = run("--diff", "fixed.cfg", cwd=tmp)
    check(d.rc == 1, "exit status as check's (findings on disk)", d)
    check(d.out.startswith("--- a/fixed.cfg\n+++ b/fixed.cfg\n@@ -1,4 +1,4 @@\n"), "header", d)
    check(d.out.count("@@ -") == 2, "two hunks, three lines of context", d)
    check(read(os.path.join(tmp, "fixed.cfg")) == text, "--diff touches nothing")
    if shutil.which("patch"):
        p = subprocess.run(["patch", "-p1", "--dry-run"], input=d.out.encode(), cwd=tmp,
                           capture_output=True, timeout=30)
        check(p.returncode == 0, "patch -p1 accepts it", p.stdout + p.stderr)
    f = run("--fix", "fixed.cfg", cwd=tmp)
    check(f.rc == 0, "no findings left", f)
    check("fixed 2 findings in fixed.cfg" in f.err, "says what was done", f)
    # The diff, applied to a copy under the name it names, gives --fix's result.
    os.rename(os.path.join(tmp, "fixed.cfg"), os.path.join(tmp, "result.cfg"))
    os.rename(os.path.join(tmp, "patched.cfg"), os.path.join(tmp, "fixed.cfg"))
    if shutil.which("git"):
        g = subprocess.run(["git", "apply", "-p1", "-"], input=d.out.encode(), cwd=tmp,
                           capture_output=True, timeout=30)
        check(g.returncode == 0, "git apply accepts it", g.stdout + g.stderr)
        check(read(os.path.join(tmp, "fixed.cfg")) == read(os.path.join(tmp, "result.cfg")),
              "patched equals fixed")


def test_corpus_diff_equals_fix_and_a_second_fix_is_quiet(tmp):
    """Every real-world configuration, all fixes included: patch -p1 with --diff's output
    gives what --fix writes, and --fix then finds nothing more to do."""
    if not shutil.which("patch"):
        print("skipped: no patch")
        return
    corpus = os.path.join(SOURCE_DIR, "tests", "corpus", "real-world")
    names = sorted(n for n in os.listdir(corpus) if n != "MANIFEST.tsv")
    check(len(names) >= 80, "the corpus is there")
    changed = 0
    opts = ("--severity", "info", "--unsafe-fixes")
    for name in names:
        with open(os.path.join(corpus, name), "rb") as f:
            text = f.read()
        dirs = [os.path.join(tmp, d) for d in ("diffed", "fixed")]
        for d in dirs:
            os.makedirs(d, exist_ok=True)
            write(os.path.join(d, "c.cfg"), text)
        d = run("--diff", *opts, "c.cfg", cwd=dirs[0])
        changed += bool(d.out)
        p = subprocess.run(["patch", "-s", "-p1"], input=d.out.encode(), cwd=dirs[0],
                           capture_output=True, timeout=30)
        check(p.returncode == 0, name + ": patch applies", p.stdout + p.stderr)
        run("--fix", *opts, "c.cfg", cwd=dirs[1])
        with open(os.path.join(dirs[0], "c.cfg"), "rb") as a, \
                open(os.path.join(dirs[1], "c.cfg"), "rb") as b:
            check(a.read() == b.read(), name + ": patched equals fixed")
        again = run("--fix", *opts, "c.cfg", cwd=dirs[1])
        check("fixed" not in again.err, name + ": second --fix changes nothing", again)
    check(changed >= 5, "some corpus files have fixes: %d" % changed)


def test_fix_is_idempotent_and_keeps_mode(tmp):
    path = write(os.path.join(tmp, "a.cfg"), "allow * 10.1.2.3/8\nsocks -i127.0.0.1\n")
    os.chmod(path, 0o640)
    st = os.stat(path)
    r = run("--fix", path, cwd=tmp)
    check(read(path) == "allow * 10.0.0.0/8\nsocks -i127.0.0.1\n", "fixed", r)
    after = os.stat(path)
    check(stat.S_IMODE(after.st_mode) == 0o640, "mode kept: %o" % after.st_mode)
    check((after.st_uid, after.st_gid) == (st.st_uid, st.st_gid), "owner kept")
    again = run("--fix", path, cwd=tmp)
    check(again.rc == 0 and again.err == "", "second run: nothing to do", again)
    check(os.stat(path).st_mtime_ns == after.st_mtime_ns, "second run: file untouched")
    check(not [n for n in os.listdir(tmp) if "proxyctl-" in n], "no temporary file left")


def test_crlf_and_missing_last_newline_are_kept(tmp):
    path = write(os.path.join(tmp, "a.cfg"),
                 b"socks -i127.0.0.1 -p1080\r\nforce\r\ntimeouts 1 2 3 4 5 6 7 8 9 10 11")
    run("--fix", "--unsafe-fixes", path, cwd=tmp)
    with open(path, "rb") as f:
        data = f.read()
    check(data == b"force\r\nsocks -i127.0.0.1 -p1080\r\ntimeouts 1 2 3 4 5 6 7 8 9 10", "CRLF",
          repr(data))


def test_include_files_are_fixed_where_the_span_is(tmp):
    main = write(os.path.join(tmp, "main.cfg"), "include inc.cfg\nsocks -i127.0.0.1\n")
    inc = write(os.path.join(tmp, "inc.cfg"), "allow * 10.1.2.3/8\n")
    d = run("--diff", "main.cfg", cwd=tmp)
    check("--- a/inc.cfg\n+++ b/inc.cfg\n" in d.out, "the diff names the included file", d)
    run("--fix", "main.cfg", cwd=tmp)
    check(read(inc) == "allow * 10.0.0.0/8\n", "include fixed")
    check(read(main) == "include inc.cfg\nsocks -i127.0.0.1\n", "main untouched")


def test_read_only_directory_is_a_clear_error(tmp):
    sub = os.path.join(tmp, "ro")
    os.makedirs(sub)
    text = "allow * 10.1.2.3/8\nsocks -i127.0.0.1\n"
    path = write(os.path.join(sub, "a.cfg"), text)
    os.chmod(sub, 0o555)
    prefix = []
    if os.geteuid() == 0:
        # Root writes anywhere: run as nobody, who may read but not write there.
        if not shutil.which("setpriv"):
            print("skipped: root without setpriv")
            return
        os.chmod(tmp, 0o755)
        os.chmod(path, 0o644)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    try:
        proc = subprocess.run([*prefix, PROXYCTL, "check", "--offline", "--no-config", "--fix",
                               path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60, cwd=tmp)
        r = Result(proc)
    finally:
        os.chmod(sub, 0o755)
    check(r.rc == 2, "exit 2", r)
    check("not fixed: cannot create a file next to it" in r.err, "says why", r)
    check(read(path) == text, "file untouched")
    check("[PX214]" in r.out, "the findings are still reported", r)


def test_usage_errors_and_standard_input(tmp):
    r = run("--fix", "-", stdin=b"socks\n", cwd=tmp)
    check(r.rc == 2 and "cannot rewrite standard input" in r.err, "--fix on stdin", r)
    r = run("--unsafe-fixes", "-", stdin=b"socks\n", cwd=tmp)
    check(r.rc == 2 and "--fix or --diff" in r.err, "--unsafe-fixes alone", r)
    r = run("--diff", "--stdin-filename", "p.cfg", "-", stdin=b"allow * 10.1.2.3/8\n", cwd=tmp)
    check(r.out.startswith("--- a/p.cfg\n") and "+allow * 10.0.0.0/8" in r.out, "diff of stdin", r)


def main():
    return script_main(globals(), __doc__, "proxyctl-fix-")


if __name__ == "__main__":
    sys.exit(main())
