#!/bin/sh
# Times `proxyctl check` on two generated one-million-line configurations: the default
# mix (users lines, short ACLs, services) and an ACL-heavy variant (40 `allow` lines per
# service, each with user, source and port lists and operations).
# Goals, for each variant: <= 0.5 s wall (best of 3), peak RSS <= 3x the file size.
#
# usage: scripts/bench-check.sh [OUT_DIR] [LINES]
#   OUT_DIR  where bench.cfg and bench-acl.cfg are generated once (default /tmp/proxyctl-bench)
#   LINES    config size (default 1000000)
# Builds a Release proxyctl in ./build-bench (or $BUILD_DIR); PROXYCTL=PATH times that
# binary instead. Exit status 1 if a goal is missed on either variant.
set -eu
cd "$(dirname "$0")/.."
OUT_DIR=${1:-/tmp/proxyctl-bench}
LINES=${2:-1000000}
BUILD_DIR=${BUILD_DIR:-build-bench}

if [ -z "${PROXYCTL:-}" ]; then
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD_DIR" -j"$(nproc)" --target proxyctl >/dev/null
    PROXYCTL="$BUILD_DIR/tools/proxyctl"
fi

# Generated once per generator version and size.
generate() {
    cfg=$1
    shift
    if [ ! -f "$cfg" ] || [ "$(wc -l <"$cfg")" -ne "$LINES" ] ||
        [ -n "$(find tests/bench/gen_config.py -newer "$cfg")" ]; then
        python3 tests/bench/gen_config.py "$@" "$OUT_DIR" "$LINES" >/dev/null
    fi
}
generate "$OUT_DIR/bench.cfg"
generate "$OUT_DIR/bench-acl.cfg" --acl-heavy

exec python3 - "$PROXYCTL" "$OUT_DIR/bench.cfg" "$OUT_DIR/bench-acl.cfg" <<'PY'
import os, subprocess, sys, time

GOAL_WALL, GOAL_RATIO = 0.5, 3.0


def measure(proxyctl, cfg):
    """Wall and CPU time and peak RSS of three checks of `cfg`."""
    cmd = [proxyctl, "check", "--dialect", "3proxy", "--format", "gcc", "--offline", cfg]
    walls, cpus, rss, findings = [], [], [], 0
    for _ in range(3):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out = proc.stdout.read()
        proc.stdout.close()
        # wait4 gives this child's own usage, so each variant has its own peak RSS.
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        proc.returncode = os.waitstatus_to_exitcode(status)
        # User + system time of this run: on a loaded machine, wall time also counts waiting.
        cpus.append(usage.ru_utime + usage.ru_stime)
        rss.append(usage.ru_maxrss * 1024)  # KiB on Linux
        findings = out.count(b"\n")
        if proc.returncode not in (0, 1):
            sys.exit(f"proxyctl failed with status {proc.returncode}")
    return walls, cpus, rss, findings


def report(name, cfg, walls, cpus, rss, findings):
    size = os.path.getsize(cfg)
    with open(cfg, "rb") as f:
        lines = sum(1 for _ in f)
    best, peak = min(walls), max(rss)
    ratio = peak / size
    print(f"[{name}]")
    print(f"file:       {cfg}")
    print(f"lines:      {lines}")
    print(f"file size:  {size / 1e6:.1f} MB ({size} bytes)")
    print(f"findings:   {findings} output lines")
    print(f"wall:       best {best:.3f} s of 3 ({', '.join(f'{w:.3f}' for w in walls)})"
          f"  goal <= {GOAL_WALL} s")
    print(f"CPU:        best {min(cpus):.3f} s of 3 ({', '.join(f'{c:.3f}' for c in cpus)})"
          "  user + system")
    print(f"peak RSS:   {peak / 1e6:.1f} MB  ({ratio:.1f}x file size)  goal <= {GOAL_RATIO:g}x")
    ok = best <= GOAL_WALL and ratio <= GOAL_RATIO
    print("result:     " + ("goals met" if ok else "GOALS MISSED"))
    return ok


proxyctl = sys.argv[1]
ok = True
for name, cfg in (("default", sys.argv[2]), ("acl-heavy", sys.argv[3])):
    ok = report(name, cfg, *measure(proxyctl, cfg)) and ok
    print()
print(f"load:       {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
      f" (1, 5, 15 min; {os.cpu_count()} CPUs)")
sys.exit(0 if ok else 1)
PY
