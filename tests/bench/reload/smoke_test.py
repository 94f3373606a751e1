"""A short run of scripts/bench-reload.sh with the proxyd and proxyctl built here: every
revoked session is closed, the kept ones stay open, both floors are measured and the
summary over the runs follows.

    smoke_test.py BUILD_DIR SOURCE_DIR CLOSER TEST_NAME
"""
import os
import re
import subprocess
import sys

SESSIONS, EVERY, RUNS = 200, 2, 2


def number(pattern, text):
    found = re.findall(pattern, text)
    assert found, pattern
    return [float(x) for x in found]


def revoked_closed_and_floors_printed(build_dir, source_dir, closer):
    env = dict(os.environ, BENCH_BUILD="0", BENCH_CLOSER=closer)
    run = subprocess.run([os.path.join(source_dir, "scripts", "bench-reload.sh"), build_dir,
                          str(SESSIONS), str(EVERY), str(RUNS)],
                         env=env, capture_output=True, text=True, timeout=100)
    print(run.stdout, run.stderr)
    assert run.returncode == 0
    out = run.stdout
    revoked = SESSIONS // EVERY
    assert out.count(f"{SESSIONS} sessions, {revoked} revoked, 100/100 kept sampled writable") == RUNS
    assert out.count("(0 never closed)") == RUNS
    assert out.count(f"closed {revoked}") == RUNS
    for floor in number(r"observed floor: 2 closers tear down \d+ sessions +([0-9.]+) ms", out):
        assert floor > 0
    assert len(number(r"unobserved floor: 1 thread shuts down \d+ +([0-9.]+) ms", out)) == RUNS
    assert f"over {RUNS} runs:" in out
    assert number(r"observed floor \(2 closers\) +([0-9.]+)", out)[0] > 0


if __name__ == "__main__":
    *args, name = sys.argv[1:]
    globals()[name](*args)
