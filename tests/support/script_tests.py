"""The runner and small helpers the Python test scripts share (tests/cli, tests/completions,
tests/install, tests/man, tests/ansible).

A script's test_* functions are its tests; ctest runs one per call by name ("all" runs
every test). Each runs in its own temporary directory, and its outcome is one line:
"ok   NAME", "FAIL NAME: Type: message", or a skip line when it raises the script's skip
exception. Import it with the tests/support directory on sys.path (see
tests/cli/control_test.py).
"""
import os
import select
import subprocess
import sys
import tempfile
import time


class Result:
    """A finished subprocess: exit status and its output as text (bytes are decoded as
    UTF-8); repr() shows all three, truncated, for a failed check's message."""

    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = _text(proc.stdout)
        self.err = _text(proc.stderr)

    def __repr__(self):
        return "rc=%d\n--- stdout\n%s\n--- stderr\n%s" % (self.rc, self.out[:3000], self.err[:3000])


def _text(data):
    if data is None:
        return ""
    return data.decode("utf-8") if isinstance(data, bytes) else data


def select_tests(namespace, name):
    """The test_* functions of `namespace` (a module's globals()) by name without "test_":
    every one for "all", else the one named. None, after listing the known names on
    stderr, for a name that is not a test."""
    tests = {k[len("test_"):]: v for k, v in namespace.items() if k.startswith("test_")}
    selected = tests if name == "all" else {name: tests[name]} if name in tests else None
    if selected is None:
        print("unknown test %r; known: %s" % (name, " ".join(sorted(tests))), file=sys.stderr)
    return selected


def run_selected(tests, prefix, skip=None, skip_code=0, tmp_dir=None, skip_word="SKIP"):
    """Runs `tests` (name -> function) in order. Each gets a new temporary directory whose
    name starts with `prefix`, made in `tmp_dir` (None: the system's default), as its
    argument if it takes one. Prints one line per test. Returns 1 if any failed,
    `skip_code` if every one raised `skip` (an exception class, or None), else 0."""
    failed = skipped = 0
    for test_name, fn in tests.items():
        with tempfile.TemporaryDirectory(prefix=prefix, dir=tmp_dir) as tmp:
            try:
                if fn.__code__.co_argcount:
                    fn(tmp)
                else:
                    fn()
                print("ok   " + test_name)
            except Exception as e:  # report every failure kind the same way
                if skip is not None and isinstance(e, skip):
                    skipped += 1
                    print("%s %s: %s" % (skip_word, test_name, e))
                else:
                    failed += 1
                    print("FAIL %s: %s: %s" % (test_name, type(e).__name__, e))
    if failed:
        return 1
    return skip_code if skipped and skipped == len(tests) else 0


def check(condition, what, detail=None):
    """Fails the test with `what` unless `condition` holds. A `detail` follows on the next
    line: text as it is (nothing if empty), anything else (a run's result) by its repr."""
    if condition:
        return
    if detail is None or isinstance(detail, str) and not detail:
        raise AssertionError(what)
    raise AssertionError(what + "\n" + (detail if isinstance(detail, str) else repr(detail)))


def write(path, text):
    """Writes `text` (str, as UTF-8, or bytes) to `path`; returns the path."""
    with open(path, "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)
    return path


def read(path):
    with open(path) as f:
        return f.read()


def script_main(namespace, doc, prefix, argv_names=("PROXYCTL", "SOURCE_DIR"), tmp_dir=None,
                skip=None, skip_code=0, skip_word="SKIP", setup=None):
    """The main() of a script run as `SCRIPT ARG... TEST_NAME`, one ARG per name of
    `argv_names`: sets the script's global of each name to its ARG, then runs the test
    named (every one for "all") as run_selected() does. 2 for an unknown name, or with the
    usage (`doc`) for another count of arguments.
    A program given by a path is made absolute, so that tests may change directory; a
    *_DIR directory, or a bare command name (looked up in PATH), stays as given. `setup`,
    if given, runs once the test is known and before it; a status it returns (it prints
    why) ends the script without running any test."""
    if len(sys.argv) != len(argv_names) + 2:
        print(doc, file=sys.stderr)
        return 2
    for name, value in zip(argv_names, sys.argv[1:]):
        if not name.endswith("_DIR") and os.sep in value:
            value = os.path.abspath(value)
        namespace[name] = value
    selected = select_tests(namespace, sys.argv[-1])
    if selected is None:
        return 2
    status = setup() if setup is not None else None
    if status is not None:
        return status
    return run_selected(selected, prefix, skip, skip_code, tmp_dir, skip_word)


def offline_env():
    """This process's environment for tests of files alone: no colour, and never a real
    proxyd of this machine."""
    return {**os.environ, "NO_COLOR": "1", "PROXYCTL_SOCKET": "/nonexistent/proxyd.sock"}


def read_terminal(master, proc, timeout=30):
    """What `proc` shows on the pseudo-terminal whose master side is `master`: read until
    the terminal closes, `proc` has exited with nothing left to read, or `timeout` seconds
    have passed."""
    shown = b""
    deadline = time.monotonic() + timeout
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
    return shown


def run_program(argv, stdin=None, env=None, timeout=30, cwd=None, result=Result):
    """Runs `argv` with its output captured and returns it as `result` (Result or a
    subclass). `stdin` is bytes to feed it, else as subprocess.run() takes it (None
    inherits this process's). Fails the test if a signal killed it: a crash."""
    feed = isinstance(stdin, bytes)
    proc = subprocess.run(argv, input=stdin if feed else None, stdin=None if feed else stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          timeout=timeout, cwd=cwd)
    r = result(proc)
    check(r.rc >= 0, "%s was killed by signal %d"
          % (" ".join([os.path.basename(argv[0]), *argv[1:]]), -r.rc), r)
    return r
