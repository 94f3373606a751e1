#!/bin/bash
# Benchmarks proxyd on loopback (not part of ctest):
#   1. bulk SOCKS5 throughput vs a direct connection to the same sink (goal >= 0.9x);
#   2. SOCKS5 connect + RFC 1929 auth + 32-byte echo, connections/s with 64 clients;
#   3. proxyd's RSS with 10,000 idle established SOCKS5 sessions;
#   4. bulk throughput again with bandwidth limits, connection limits and traffic
#      counters configured for another user (an unlimited session must not pay for them).
# Where Debian's microsocks / dante-server install, the same loads run against them and
# the ratios are printed. Tunables: BUILD_DIR, BENCH_MIB (per throughput run),
# BENCH_SECONDS, BENCH_CLIENTS, BENCH_IDLE, BENCH_LIMIT_LINES, BENCH_INSTALL=0 to skip
# apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
MIB=${BENCH_MIB:-2048}
SECONDS_RATE=${BENCH_SECONDS:-5}
CLIENTS=${BENCH_CLIENTS:-64}
IDLE=${BENCH_IDLE:-10000}

ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"

if [ ! -x "$BUILD_DIR/proxyd/proxyd" ]; then
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD_DIR" --target proxyd -j"$(nproc)" >/dev/null
mkdir -p "$BUILD_DIR/bench"
BENCH="$BUILD_DIR/bench/proxyd_bench"
g++ -std=c++20 -O2 -pthread -Itests/bench tests/bench/proxyd/proxyd_bench.cpp -o "$BENCH"

if [ "${BENCH_INSTALL:-1}" = 1 ] && [ "$(id -u)" = 0 ]; then
    for pkg in microsocks dante-server; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$pkg" \
                >/dev/null 2>&1 || echo "note: $pkg did not install; skipping it"
    done
fi

WORK=$(mktemp -d /tmp/bench-proxyd.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "nothing listens on $1" >&2
    return 1
}
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b != "n/a" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# Holds IDLE sessions through a proxy and prints: sessions, RSS before, RSS after (KiB).
idle_rss() {
    local port=$1 pid=$2 user=$3 pass=$4
    local before fifo out
    before=$(rss_kib "$pid")
    fifo="$WORK/idle.$port"
    mkfifo "$fifo"
    "$BENCH" idle --proxy "$port" --user "$user" --pass "$pass" --count "$IDLE" <"$fifo" >"$WORK/idle.out" &
    local bench_pid=$!
    exec 7>"$fifo"
    for _ in $(seq 600); do
        [ -s "$WORK/idle.out" ] && break
        sleep 0.1
    done
    sleep 0.5
    echo "$(cat "$WORK/idle.out") $before $(rss_kib "$pid")"
    exec 7>&-
    wait "$bench_pid" || true
    rm -f "$fifo" "$WORK/idle.out"
}

run_suite() {  # name port pid user pass
    local name=$1 port=$2 pid=$3 user=$4 pass=$5
    local tp rate idle
    tp=$("$BENCH" throughput --proxy "$port" --user "$user" --pass "$pass" --mib "$MIB")
    rate=$("$BENCH" rate --proxy "$port" --user "$user" --pass "$pass" --clients "$CLIENTS" --seconds "$SECONDS_RATE")
    idle=$(idle_rss "$port" "$pid" "$user" "$pass")
    echo "$name $tp $rate $idle"
}

echo "== proxyd benchmark on $(nproc) cores, $(uname -r)"
DIRECT=$("$BENCH" throughput --mib "$MIB")
echo "direct throughput: $DIRECT MiB/s"

P=$(free_port)
cat >"$WORK/proxyd.cfg" <<CFG
maxconn 100000
users bench:CL:bench
auth strong
allow bench
socks -p$P -i127.0.0.1
CFG
"$BUILD_DIR/proxyd/proxyd" "$WORK/proxyd.cfg" 2>"$WORK/proxyd.err" &
PIDS+=($!)
PROXYD_PID=$!
wait_port "$P"
read -r _ PX_TP PX_RATE PX_FAIL PX_IDLE PX_RSS0 PX_RSS1 < <(run_suite proxyd "$P" "$PROXYD_PID" bench bench)
PX_PER=$(awk -v n="$PX_IDLE" -v a="$PX_RSS0" -v b="$PX_RSS1" 'BEGIN { if (n > 0) printf "%.2f", (b - a) / n; else print "n/a" }')
echo "proxyd: throughput $PX_TP MiB/s ($(ratio "$PX_TP" "$DIRECT")x direct, goal >= 0.9)"
echo "proxyd: $PX_RATE conns/s with $CLIENTS clients (connect+auth+32B echo; $PX_FAIL failures)"
echo "proxyd: $PX_IDLE idle sessions: RSS ${PX_RSS0} -> ${PX_RSS1} KiB (${PX_PER} KiB/session)"

# The same bulk run with limits and counters configured for other users: an unlimited
# session must not pay for them (the ratio should stay near 1.00).
LIMIT_LINES=${BENCH_LIMIT_LINES:-100}
L=$(free_port)
{
    echo "maxconn 100000"
    echo "users bench:CL:bench other:CL:other"
    echo "auth strong"
    for i in $(seq "$LIMIT_LINES"); do
        echo "bandlimin $((1000000 + i)) other"
        echo "bandlimout $((1000000 + i)) other"
        echo "connlim $((1000 + i)) 0 other"
        echo "countall $i/other D $((100000 + i)) other"
    done
    echo "counter $WORK/traffic.counters"
    echo "allow bench,other"
    echo "socks -p$L -i127.0.0.1"
} >"$WORK/proxyd-limits.cfg"
"$BUILD_DIR/proxyd/proxyd" "$WORK/proxyd-limits.cfg" 2>"$WORK/proxyd-limits.err" &
PIDS+=($!)
wait_port "$L"
LIM_TP=$("$BENCH" throughput --proxy "$L" --user bench --pass bench --mib "$MIB")
echo "proxyd with $((2 * LIMIT_LINES)) bandlim, $LIMIT_LINES connlim and $LIMIT_LINES countall lines" \
    "for another user: throughput $LIM_TP MiB/s" \
    "($(ratio "$LIM_TP" "$PX_TP")x of the run without them)"

compare() {  # name port pid user pass
    local name=$1
    read -r _ TP RATE FAIL N RSS0 RSS1 < <(run_suite "$@")
    local per
    # dante forks a process per few clients: the parent's RSS does not show their memory.
    per=$(awk -v n="$N" -v a="$RSS0" -v b="$RSS1" 'BEGIN { if (n > 0 && b > a) printf "%.2f", (b - a) / n; else print "n/a" }')
    echo "$name: throughput $TP MiB/s; $RATE conns/s ($FAIL failures); $N idle: ${per} KiB/session"
    echo "  proxyd/$name: throughput $(ratio "$PX_TP" "$TP")x, conns/s $(ratio "$PX_RATE" "$RATE")x," \
        "memory per idle session $(ratio "$per" "$PX_PER")x less"
}

if command -v microsocks >/dev/null; then
    M=$(free_port)
    microsocks -i 127.0.0.1 -p "$M" -u bench -P bench >/dev/null 2>&1 &
    PIDS+=($!)
    wait_port "$M" && compare microsocks "$M" "$!" bench bench
fi

if command -v danted >/dev/null || [ -x /usr/sbin/danted ]; then
    D=$(free_port)
    cat >"$WORK/danted.conf" <<CFG
logoutput: /dev/null
internal: 127.0.0.1 port = $D
external: 127.0.0.1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
CFG
    /usr/sbin/danted -f "$WORK/danted.conf" >/dev/null 2>&1 &
    PIDS+=($!)
    # dante's username method checks system accounts; it runs without auth here, so
    # its figures are an upper bound for the same load with auth.
    wait_port "$D" && compare "dante(no-auth)" "$D" "$!" "" ""
fi
