#!/bin/sh
# Times `proxyctl check` on a generated one-million-line configuration.
# Goals: <= 1 s wall, peak RSS <= 10x the file size.
#
# usage: scripts/bench-check.sh [OUT_DIR] [LINES]
#   OUT_DIR  where bench.cfg is generated once (default /tmp/proxyctl-bench)
#   LINES    config size (default 1000000)
# Builds a Release proxyctl in ./build-bench (or $BUILD_DIR). Exit status 1 if a goal
# is missed.
set -eu
cd "$(dirname "$0")/.."
OUT_DIR=${1:-/tmp/proxyctl-bench}
LINES=${2:-1000000}
BUILD_DIR=${BUILD_DIR:-build-bench}

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target proxyctl >/dev/null
PROXYCTL="$BUILD_DIR/tools/proxyctl"

CFG="$OUT_DIR/bench.cfg"
if [ ! -f "$CFG" ] || [ "$(wc -l <"$CFG")" -ne "$LINES" ] ||
    [ tests/bench/gen_config.py -nt "$CFG" ]; then
    python3 tests/bench/gen_config.py "$OUT_DIR" "$LINES" >/dev/null
fi

exec python3 - "$PROXYCTL" "$CFG" <<'PY'
import os, resource, subprocess, sys, time

proxyctl, cfg = sys.argv[1], sys.argv[2]
cmd = [proxyctl, "check", "--dialect", "3proxy", "--format", "gcc", "--offline", cfg]
size = os.path.getsize(cfg)
walls, cpus, rss, findings = [], [], [], 0
for _ in range(3):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    walls.append(time.perf_counter() - start)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # User + system time of this run: on a loaded machine, wall time also counts waiting.
    cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    # ru_maxrss of children is the maximum over all waited-for children (KiB on Linux);
    # every run is the same command, so the maximum is the peak of any run.
    rss.append(after.ru_maxrss * 1024)
    findings = proc.stdout.count(b"\n")
    if proc.returncode not in (0, 1):
        sys.exit(f"proxyctl failed with status {proc.returncode}")
with open(cfg, "rb") as f:
    lines = sum(1 for _ in f)
best, peak = min(walls), max(rss)
ratio = peak / size
print(f"file:       {cfg}")
print(f"lines:      {lines}")
print(f"file size:  {size / 1e6:.1f} MB ({size} bytes)")
print(f"findings:   {findings} output lines")
print(f"wall:       best {best:.3f} s of 3 ({', '.join(f'{w:.3f}' for w in walls)})  goal <= 1 s")
print(f"CPU:        best {min(cpus):.3f} s of 3 ({', '.join(f'{c:.3f}' for c in cpus)})  user + system")
print(f"load:       {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min; {os.cpu_count()} CPUs)")
print(f"peak RSS:   {peak / 1e6:.1f} MB  ({ratio:.1f}x file size)  goal <= 10x")
ok = best <= 1.0 and ratio <= 10.0
print("result:     " + ("goals met" if ok else "GOALS MISSED"))
sys.exit(0 if ok else 1)
PY
