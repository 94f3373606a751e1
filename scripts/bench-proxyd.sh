#!/bin/bash
# Benchmarks proxyd on loopback (not part of ctest), one table per run:
#   bulk    SOCKS5 throughput vs a direct connection to the same sink (goal >= 0.9x);
#   rate    SOCKS5 connect + RFC 1929 auth + 32-byte echo, connections/s with 64 clients;
#   idle    memory of 10,000 idle established SOCKS5 sessions: the server's user-space
#           growth (PSS of its process tree) and the kernel's TCP memory, per session;
#   limits  bulk throughput again with bandwidth limits, connection limits and traffic
#           counters configured for another user (an unlimited session must not pay).
# Where Debian's microsocks / dante-server install, the same loads run against them.
# Each phase starts its own server on a port picked at random (retried if another
# process takes it), so no phase meets the TIME_WAIT entries of an earlier one; every
# file and socket (proxyd's control socket too) is in the run's temp dir.
# Tunables: BUILD_DIR, BENCH_MIB (per throughput run), BENCH_SECONDS, BENCH_CLIENTS,
# BENCH_IDLE, BENCH_LIMIT_LINES, BENCH_PHASES (default "bulk rate idle limits"),
# BENCH_SYSTEMS (default "proxyd microsocks dante"), BENCH_INSTALL=0 to skip apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
MIB=${BENCH_MIB:-2048}
SECONDS_RATE=${BENCH_SECONDS:-5}
CLIENTS=${BENCH_CLIENTS:-64}
IDLE=${BENCH_IDLE:-10000}
PHASES=${BENCH_PHASES:-bulk rate idle limits}
SYSTEMS=${BENCH_SYSTEMS:-proxyd microsocks dante}

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

wanted() { [[ " $PHASES " == *" $1 "* ]]; }
has_system() { [[ " $SYSTEMS " == *" $1 "* ]]; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b != "n/a" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
# launch NAME FN: `FN PORT` runs the server in the foreground; sets SRV_PORT and SRV_PID.
LAUNCHES=0
launch() {
    local name=$1 fn=$2
    for _ in 1 2 3 4 5 6 7 8; do
        pick_port
        LAUNCHES=$((LAUNCHES + 1))
        "$fn" "$PORT" "$WORK/$name.$LAUNCHES" >"$WORK/$name.out" 2>"$WORK/$name.err" &
        SRV_PID=$!
        PIDS+=("$SRV_PID")
        if listening "$PORT" "$SRV_PID"; then
            SRV_PORT=$PORT
            return 0
        fi
    done
    echo "note: $name did not start; skipping it ($(head -c 300 "$WORK/$name.err"))"
    return 1
}
stop() {  # pid
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# ---- servers: FN PORT PREFIX (PREFIX: where its files go) ----------------------------
run_proxyd() {
    cat >"$2.cfg" <<CFG
maxconn 100000
users bench:CL:bench
auth strong
allow bench
socks -p$1 -i127.0.0.1
CFG
    exec "$BUILD_DIR/proxyd/proxyd" --control "$2.control" "$2.cfg"
}
run_proxyd_limits() {
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
        echo "counter $2.counters"
        echo "allow bench,other"
        echo "socks -p$1 -i127.0.0.1"
    } >"$2.cfg"
    exec "$BUILD_DIR/proxyd/proxyd" --control "$2.control" "$2.cfg"
}
run_microsocks() { exec microsocks -i 127.0.0.1 -p "$1" -u bench -P bench; }
run_dante() {
    cat >"$2.conf" <<CFG
logoutput: /dev/null
internal: 127.0.0.1 port = $1
external: 127.0.0.1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
CFG
    exec /usr/sbin/danted -f "$2.conf"
}

# ---- memory ---------------------------------------------------------------------------
# User-space memory of a process and its descendants (dante forks helpers): the sum of
# their PSS, KiB. For one process that is its private RSS plus its share of libraries.
tree_pss_kib() {
    local root=$1 p total=0 v
    local -a todo=("$root")
    while [ ${#todo[@]} -gt 0 ]; do
        p=${todo[0]}
        todo=("${todo[@]:1}")
        v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true)
        total=$((total + ${v:-0}))
        # shellcheck disable=SC2013  # the file is one line of pids
        for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do todo+=("$c"); done
    done
    echo "$total"
}
# The kernel's TCP buffer memory, pages (every socket of the machine: the four loopback
# sockets of an idle session, client, proxy's two and the echo server's, all count).
tcp_mem_pages() { awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1) }' /proc/net/sockstat; }
PAGE_KIB=$(($(getconf PAGESIZE) / 1024))
# The kernel's slab memory, KiB: socket, file and epoll objects live there (machine-wide,
# so other work on the machine adds noise).
slab_kib() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }

# A fresh server (on a port no earlier phase has TIME_WAIT entries towards) holds IDLE
# sessions; sets MEM to: sessions, then KiB/session of user space, kernel TCP buffers
# and kernel slab.
idle_memory() {  # name fn user pass
    local name=$1 fn=$2 user=$3 pass=$4
    MEM="0 n/a n/a n/a"
    launch "$name-idle" "$fn" || return 0
    local pid=$SRV_PID port=$SRV_PORT fifo="$WORK/idle.fifo" out="$WORK/idle.out"
    sleep 0.3
    local pss0 pss1 k0 k1 s0 s1 n
    pss0=$(tree_pss_kib "$pid")
    k0=$(tcp_mem_pages)
    s0=$(slab_kib)
    rm -f "$fifo" "$out"
    mkfifo "$fifo"
    "$BENCH" idle --proxy "$port" --user "$user" --pass "$pass" --count "$IDLE" <"$fifo" >"$out" \
        2>"$WORK/idle.err" &
    local bench_pid=$!
    exec 7>"$fifo"
    for _ in $(seq 1200); do
        [ -s "$out" ] && break
        kill -0 "$bench_pid" 2>/dev/null || break
        sleep 0.1
    done
    sleep 0.5
    n=$(cat "$out" 2>/dev/null || echo 0)
    pss1=$(tree_pss_kib "$pid")
    k1=$(tcp_mem_pages)
    s1=$(slab_kib)
    exec 7>&-
    wait "$bench_pid" || true
    stop "$pid"
    MEM=$(awk -v n="${n:-0}" -v a="$pss0" -v b="$pss1" -v k0="$k0" -v k1="$k1" -v pg="$PAGE_KIB" \
        -v s0="$s0" -v s1="$s1" 'BEGIN {
        if (n > 0) printf "%d %.2f %.2f %.2f\n", n, (b - a) / n, (k1 - k0) * pg / n, (s1 - s0) / n
        else print "0 n/a n/a n/a" }')
}

# ---- the run -----------------------------------------------------------------------------
declare -A TP RATE FAIL IDLE_N USER_KIB KERN_KIB SLAB_KIB
measure() {  # name fn user pass
    local name=$1 fn=$2 user=$3 pass=$4
    TP[$name]=n/a RATE[$name]=n/a FAIL[$name]=n/a
    if wanted bulk || wanted rate; then
        if launch "$name" "$fn"; then
            local pid=$SRV_PID port=$SRV_PORT
            wanted bulk && TP[$name]=$("$BENCH" throughput --proxy "$port" --user "$user" --pass "$pass" --mib "$MIB")
            if wanted rate; then
                local r f
                read -r r f < <("$BENCH" rate --proxy "$port" --user "$user" --pass "$pass" \
                    --clients "$CLIENTS" --seconds "$SECONDS_RATE")
                RATE[$name]=$r FAIL[$name]=$f
            fi
            stop "$pid"
        fi
    fi
    IDLE_N[$name]=n/a USER_KIB[$name]=n/a KERN_KIB[$name]=n/a SLAB_KIB[$name]=n/a
    if wanted idle; then
        local n u k sl
        idle_memory "$name" "$fn" "$user" "$pass"
        read -r n u k sl <<<"$MEM"
        IDLE_N[$name]=$n USER_KIB[$name]=$u KERN_KIB[$name]=$k SLAB_KIB[$name]=$sl
    fi
}

echo "== proxyd benchmark on $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
DIRECT=n/a
wanted bulk && DIRECT=$("$BENCH" throughput --mib "$MIB")
NAMES=()
if has_system proxyd; then measure proxyd run_proxyd bench bench; NAMES+=(proxyd); fi
if has_system microsocks && command -v microsocks >/dev/null; then
    measure microsocks run_microsocks bench bench
    NAMES+=(microsocks)
fi
# dante's username method checks system accounts; it runs without auth here, so its
# figures are an upper bound for the same load with auth.
if has_system dante && [ -x /usr/sbin/danted ]; then
    measure "dante(no-auth)" run_dante "" ""
    NAMES+=("dante(no-auth)")
fi

echo
echo "direct throughput: $DIRECT MiB/s; rate: SOCKS5 connect+auth+32-byte echo with $CLIENTS clients;"
echo "idle: up to $IDLE established SOCKS5 sessions on a fresh server; per session in KiB:"
echo "user = PSS growth of the server's process tree; kernel tcp = growth of /proc/net/sockstat"
echo "TCP mem, slab = growth of /proc/meminfo Slab (both machine-wide: the client's and the echo"
echo "server's sockets count too, four sockets per session)"
printf '%-16s %10s %8s %10s %8s %6s %6s %10s %6s\n' system "bulk MiB/s" "x direct" conns/s failures \
    idle user "kernel tcp" slab
for n in "${NAMES[@]}"; do
    printf '%-16s %10s %8s %10s %8s %6s %6s %10s %6s\n' "$n" "${TP[$n]}" "$(ratio "${TP[$n]}" "$DIRECT")" \
        "${RATE[$n]}" "${FAIL[$n]}" "${IDLE_N[$n]}" "${USER_KIB[$n]}" "${KERN_KIB[$n]}" "${SLAB_KIB[$n]}"
done
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"

# The same bulk run with limits and counters configured for another user: an unlimited
# session must not pay for them (the ratio should stay near 1.00).
LIMIT_LINES=${BENCH_LIMIT_LINES:-100}
if wanted limits && has_system proxyd && launch proxyd-limits run_proxyd_limits; then
    LIM_TP=$("$BENCH" throughput --proxy "$SRV_PORT" --user bench --pass bench --mib "$MIB")
    stop "$SRV_PID"
    echo "proxyd with $((2 * LIMIT_LINES)) bandlim, $LIMIT_LINES connlim and $LIMIT_LINES countall lines" \
        "for another user: throughput $LIM_TP MiB/s" \
        "($(ratio "$LIM_TP" "${TP[proxyd]}")x of the run without them)"
fi
