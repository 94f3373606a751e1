#!/bin/bash
# Compares proxyd with other relays on this machine (a benchmark, not a test):
#   bulk-tcp / rate-tcp     a direct connection, a bare splice(2) relay (the floor),
#                           HAProxy (mode tcp, option splice-auto) and proxyd's tcppm;
#   bulk-socks / rate-socks proxyd's socks, Dante and microsocks without auth;
#   rate-socks-auth         the same with RFC 1929 username/password auth;
#   rate-connect            HTTP CONNECT through proxyd's proxy, Squid and Tinyproxy;
#   rate-get                keep-alive absolute-URI GETs through the same three (and
#                           straight to the origin, the floor), each answered by a
#                           loopback origin with a 100-byte no-store body.
# bulk sends BENCH_MIB MiB over one connection (MiB/s); rate runs BENCH_CLIENTS clients
# doing connect [+ SOCKS5 or CONNECT] + 32-byte echo + close for BENCH_SECONDS
# (connections/s); rate-get runs BENCH_CLIENTS clients sending GET after GET on their
# connection for BENCH_SECONDS (complete responses/s; a client whose connection the
# proxy ends connects again).
# BENCH_ROUNDS rounds; each round runs every phase once per system, in an order rotated
# round by round. Each server's CPU time (its process tree's utime+stime from /proc) is
# read before and after every run and printed per GiB, per 1,000 connections or per
# 1,000 requests. Squid and Tinyproxy run with the models their comments below give.
# Rate tables also give how busy the client side kept its CPUs (the load generator's CPU
# time and the sink's or origin's, over the run; softirq time the kernel books apart is
# not in it): near 100% the run measured the clients rather than the server.
# In the echo the sink closes first; clients bind a fresh 127.A.B.0/24 per run, so
# TIME_WAIT never exhausts ephemeral ports. Every file and socket is in a temp dir.
# With two CPUs or more each server runs pinned (taskset) to the first half of them and
# the load generator, sink and origin to the rest: every server gets the same CPUs, and
# the client side never takes turns with the server, so the rate measures the server
# rather than how a busy scheduler shares the machine among its threads. Servers that
# size themselves by CPU count (proxyd, HAProxy's nbthread) see their half.
# Tunables: BENCH_PIN=0 (no pinning: everything shares every CPU), BENCH_MIB (1024), BENCH_SECONDS (2), BENCH_ROUNDS (5), BENCH_CLIENTS (64),
# BENCH_INSTALL=0 (no apt-get of haproxy, dante-server, microsocks, squid, tinyproxy),
# BENCH_SYSTEMS (only these, e.g. "direct splice proxyd squid tinyproxy"), BENCH_PHASES
# (only these, e.g. "rate-socks rate-connect"),
# BENCH_PROXYD (a built proxyd: skips the build), BUILD_DIR, BENCH_BIN_DIR (where the
# load generator and floor are compiled), BENCH_TIME_WAIT_MAX, BENCH_VERBOSE=1 (each run
# on stderr as it ends).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
MIB=${BENCH_MIB:-1024}
SECS=${BENCH_SECONDS:-2}
ROUNDS=${BENCH_ROUNDS:-5}
CLIENTS=${BENCH_CLIENTS:-64}
# At net.ipv4.tcp_max_tw_buckets the kernel stops keeping TIME_WAIT entries: a rate run
# starts only when at most 90% of that is in use, so each run begins with the same room.
TW_MAX=${BENCH_TIME_WAIT_MAX:-$(($(sysctl -n net.ipv4.tcp_max_tw_buckets 2>/dev/null || echo 65536) * 9 / 10))}
ONLY=${BENCH_SYSTEMS:-}
CPUS=$(nproc)
SERVER_CPUS="" CLIENT_CPUS=""
if [ "${BENCH_PIN:-1}" = 1 ] && [ "$CPUS" -ge 2 ] && command -v taskset >/dev/null; then
    half=$((CPUS / 2))
    SERVER_CPUS="0-$((half - 1))"
    CLIENT_CPUS="$half-$((CPUS - 1))"
fi
SERVER_THREADS=$CPUS
[ -z "$SERVER_CPUS" ] || SERVER_THREADS=$((CPUS / 2))
CLIENT_CPU_COUNT=$CPUS  # for the client side's CPU use
[ -z "$CLIENT_CPUS" ] || CLIENT_CPU_COUNT=$((CPUS - CPUS / 2))
# pin_self CPUS: this (sub)shell, and what it execs, runs on CPUS only.
pin_self() { [ -z "$1" ] || taskset -pc "$1" "$BASHPID" >/dev/null; }
# on_clients CMD...: runs CMD on the client side's CPUs.
on_clients() {
    if [ -n "$CLIENT_CPUS" ]; then taskset -c "$CLIENT_CPUS" "$@"; else "$@"; fi
}

ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"

if [ -n "${BENCH_PROXYD:-}" ]; then
    PROXYD=$BENCH_PROXYD
else
    [ -f "$BUILD_DIR/CMakeCache.txt" ] || cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD_DIR" --target proxyd -j"$(nproc)" >/dev/null
    PROXYD=$BUILD_DIR/proxyd/proxyd
fi
BIN=${BENCH_BIN_DIR:-$BUILD_DIR/bench}
mkdir -p "$BIN"
# A tool is rebuilt when its source or any header the tools share is newer.
newer_than_all() {  # file others...: the file exists and is newer than each of the others
    local f=$1
    shift
    for other; do [ "$f" -nt "$other" ] || return 1; done
}
for tool in loadgen splice_relay; do
    src=tests/bench/relay/$tool.cpp
    newer_than_all "$BIN/$tool" "$src" tests/bench/net_util.hpp tests/bench/relay/*.hpp ||
        g++ -std=c++20 -O2 -pthread -Itests/bench "$src" -o "$BIN/$tool"
done
LOADGEN=$BIN/loadgen

wanted() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

if [ "${BENCH_INSTALL:-1}" = 1 ] && [ "$(id -u)" = 0 ]; then
    for pkg in haproxy dante-server microsocks squid tinyproxy; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$pkg" \
                >/dev/null 2>&1 || echo "note: $pkg did not install; skipping it"
    done
fi

WORK=$(mktemp -d /tmp/bench-relays.XXXXXX)
PIDS=()
DANTE_USER=""
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -z "$DANTE_USER" ] || userdel "$DANTE_USER" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
# launch NAME FN: FN PORT starts the server in the background; sets SRV_PORT and SRV_PID.
launch() {
    local name=$1 fn=$2
    for _ in 1 2 3 4 5 6 7 8; do
        pick_port
        {
            pin_self "$SERVER_CPUS"
            "$fn" "$PORT"
        } >"$WORK/$name.out" 2>"$WORK/$name.err" &
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
# Servers that pick their own port (port 0) print it first; CPUS is SERVER_CPUS or
# CLIENT_CPUS (the sink and the origin are the client side's).
launch_printing() {  # name cpus cmd...
    local name=$1 cpus=$2
    shift 2
    {
        pin_self "$cpus"
        exec "$@"
    } >"$WORK/$name.port" 2>"$WORK/$name.err" &
    SRV_PID=$!
    PIDS+=("$SRV_PID")
    for _ in $(seq 100); do
        [ -s "$WORK/$name.port" ] && break
        sleep 0.05
    done
    SRV_PORT=$(head -n1 "$WORK/$name.port")
    [ -n "$SRV_PORT" ]
}

# CPU clock ticks of a process and all its descendants, the children it reaped included.
# cat, not awk on the files: a process may exit while they are read.
cpu_ticks() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$1" '
        {
            line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
            ppid[$1] = f[2]; t[$1] = f[12] + f[13] + f[14] + f[15]
        }
        END {
            total = 0
            for (p in t)
                for (q = p; q != "" && q > 1; q = ppid[q])
                    if (q == root) { total += t[p]; break }
            print total
        }'
}
HZ=$(getconf CLK_TCK)

wait_time_wait() {
    local n
    for _ in $(seq 120); do
        n=$(ss -Htan state time-wait | wc -l)
        [ "$n" -lt "$TW_MAX" ] && return 0
        sleep 0.5
    done
    echo "note: still $n sockets in TIME_WAIT after 60 s; running anyway" >&2
}

# Every run binds its clients in its own 127.A.B.0/24.
NET_INDEX=0
next_net() {
    NET="127.$((100 + NET_INDEX / 250)).$((NET_INDEX % 250 + 1))"
    NET_INDEX=$((NET_INDEX + 1))
}

# ---- servers --------------------------------------------------------------------
# SYS[group:name] = "port pid loadgen-flags"; groups: tcp, socks, auth, connect (HTTP
# CONNECT), get (HTTP GET through a forward proxy).
declare -A SYS
launch_printing sink "$CLIENT_CPUS" "$LOADGEN" sink || { echo "the sink did not start" >&2; exit 1; }
SINK=$SRV_PORT
PIDS_SINK=$SRV_PID
launch_printing origin "$CLIENT_CPUS" "$LOADGEN" origin || { echo "the HTTP origin did not start" >&2; exit 1; }
ORIGIN=$SRV_PORT
PIDS_ORIGIN=$SRV_PID

if wanted direct; then
    SYS[tcp:direct]="$SINK - "
    SYS[get:direct]="$ORIGIN - "  # the same GETs straight to the origin: the floor
fi

if wanted splice && launch_printing splice "$SERVER_CPUS" "$BIN/splice_relay" "$SINK"; then
    SYS[tcp:splice]="$SRV_PORT $SRV_PID "
fi

proxyd_tcppm() {
    printf 'maxconn 100000\ntcppm -i127.0.0.1 %s 127.0.0.1 %s\n' "$1" "$SINK" >"$WORK/proxyd-tcppm.cfg"
    exec "$PROXYD" --control "$WORK/proxyd-tcppm.sock" "$WORK/proxyd-tcppm.cfg"
}
proxyd_socks() {
    printf 'maxconn 100000\nsocks -p%s -i127.0.0.1\n' "$1" >"$WORK/proxyd-socks.cfg"
    exec "$PROXYD" --control "$WORK/proxyd-socks.sock" "$WORK/proxyd-socks.cfg"
}
proxyd_auth() {
    printf 'maxconn 100000\nusers bench:CL:bench\nauth strong\nallow bench\nsocks -p%s -i127.0.0.1\n' \
        "$1" >"$WORK/proxyd-auth.cfg"
    exec "$PROXYD" --control "$WORK/proxyd-auth.sock" "$WORK/proxyd-auth.cfg"
}
# proxyd (every service here) runs one epoll worker thread per CPU it may use; its proxy service
# answers CONNECT and keeps client and origin connections alive between GETs.
proxyd_http() {
    printf 'maxconn 100000\nproxy -p%s -i127.0.0.1\n' "$1" >"$WORK/proxyd-http.cfg"
    exec "$PROXYD" --control "$WORK/proxyd-http.sock" "$WORK/proxyd-http.cfg"
}
if wanted proxyd; then
    launch proxyd-tcppm proxyd_tcppm && SYS[tcp:proxyd]="$SRV_PORT $SRV_PID "
    launch proxyd-socks proxyd_socks && SYS[socks:proxyd]="$SRV_PORT $SRV_PID --socks"
    launch proxyd-auth proxyd_auth && SYS[auth:proxyd]="$SRV_PORT $SRV_PID --socks --user bench --pass bench"
    if launch proxyd-http proxyd_http; then
        SYS[connect:proxyd]="$SRV_PORT $SRV_PID --http-connect"
        SYS[get:proxyd]="$SRV_PORT $SRV_PID "
    fi
fi

haproxy_run() {
    cat >"$WORK/haproxy.cfg" <<CFG
global
    nbthread $SERVER_THREADS
    maxconn 4000
defaults
    mode tcp
    option splice-auto
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend relay
    bind 127.0.0.1:$1
    default_backend sink
backend sink
    server sink 127.0.0.1:$SINK
CFG
    exec haproxy -db -f "$WORK/haproxy.cfg"
}
if wanted haproxy; then
    if command -v haproxy >/dev/null; then
        launch haproxy haproxy_run && SYS[tcp:haproxy]="$SRV_PORT $SRV_PID "
    else
        echo "note: haproxy is not installed; skipping it"
    fi
fi

microsocks_run() { exec microsocks -i 127.0.0.1 -p "$1"; }
microsocks_auth() { exec microsocks -i 127.0.0.1 -p "$1" -u bench -P bench; }
if wanted microsocks; then
    if command -v microsocks >/dev/null; then
        launch microsocks microsocks_run && SYS[socks:microsocks]="$SRV_PORT $SRV_PID --socks"
        launch microsocks-auth microsocks_auth &&
            SYS[auth:microsocks]="$SRV_PORT $SRV_PID --socks --user bench --pass bench"
    else
        echo "note: microsocks is not installed; skipping it"
    fi
fi

dante_conf() {  # port method
    cat <<CFG
logoutput: /dev/null
internal: 127.0.0.1 port = $1
external: 127.0.0.1
clientmethod: none
socksmethod: $2
user.privileged: root
user.unprivileged: nobody
client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
CFG
}
dante_run() {
    dante_conf "$1" none >"$WORK/dante.conf"
    exec /usr/sbin/danted -f "$WORK/dante.conf" -p "$WORK/dante.pid"
}
dante_auth() {
    dante_conf "$1" username >"$WORK/dante-auth.conf"
    exec /usr/sbin/danted -f "$WORK/dante-auth.conf" -p "$WORK/dante-auth.pid"
}
if wanted dante; then
    if [ -x /usr/sbin/danted ]; then
        launch dante dante_run && SYS[socks:dante]="$SRV_PORT $SRV_PID --socks"
        # Dante checks usernames against system accounts: a throwaway one, root only.
        if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null; then
            candidate="rlbench$$"
            if ! id "$candidate" >/dev/null 2>&1 &&
                useradd -M -N -s /usr/sbin/nologin "$candidate" 2>/dev/null; then
                DANTE_USER=$candidate
                # md5crypt: the cheapest hash chpasswd takes, near the others' plain text.
                echo "$DANTE_USER:$(openssl passwd -1 bench)" | chpasswd -e
                launch dante-auth dante_auth &&
                    SYS[auth:dante]="$SRV_PORT $SRV_PID --socks --user $DANTE_USER --pass bench"
            fi
        fi
        [ -n "$DANTE_USER" ] || echo "note: dante runs without auth only (username auth needs a system user, made only as root)"
    else
        echo "note: dante-server is not installed; skipping it"
    fi
fi

# Squid with -N is one process (no daemon, no SMP kids: "workers 1") running one
# event loop; the ICMP pinger helper is off, so the process tree is that one process.
# Started as root it drops to its build's cache_effective_user (proxy on Debian), so its
# directory is that user's and the work dir is passable.
SQUID_DIR=$WORK/squid
squid_run() {
    cat >"$SQUID_DIR/squid.conf" <<CFG
http_port 127.0.0.1:$1
workers 1
max_filedescriptors 65536
http_access allow all
cache deny all
cache_mem 0 MB
access_log none
cache_store_log none
cache_log $SQUID_DIR/cache.log
pid_filename $SQUID_DIR/squid.pid
coredump_dir $SQUID_DIR
pinger_enable off
shutdown_lifetime 0 seconds
CFG
    exec squid -N -f "$SQUID_DIR/squid.conf"
}
if wanted squid; then
    if command -v squid >/dev/null; then
        mkdir -p "$SQUID_DIR"
        if [ "$(id -u)" = 0 ] && id proxy >/dev/null 2>&1; then
            chmod 711 "$WORK"
            chown proxy "$SQUID_DIR"
        fi
        if launch squid squid_run; then
            SYS[connect:squid]="$SRV_PORT $SRV_PID --http-connect"
            SYS[get:squid]="$SRV_PORT $SRV_PID "
        fi
    else
        echo "note: squid is not installed; skipping it"
    fi
fi

# Tinyproxy 1.11 runs one thread per client connection (MaxClients of them at most) in
# one process. It ends every GET's connection after the response, so its clients
# reconnect per request. As root it drops to nobody; the pid file is written before.
tinyproxy_run() {
    {
        printf 'Port %s\nListen 127.0.0.1\nTimeout 60\nMaxClients 1024\n' "$1"
        printf 'LogLevel Critical\nAllow 127.0.0.0/8\nPidFile "%s"\n' "$WORK/tinyproxy.pid"
        [ "$(id -u)" != 0 ] || printf 'User nobody\nGroup nogroup\n'
    } >"$WORK/tinyproxy.conf"
    exec tinyproxy -d -c "$WORK/tinyproxy.conf"
}
if wanted tinyproxy; then
    if command -v tinyproxy >/dev/null; then
        if launch tinyproxy tinyproxy_run; then
            SYS[connect:tinyproxy]="$SRV_PORT $SRV_PID --http-connect"
            SYS[get:tinyproxy]="$SRV_PORT $SRV_PID "
        fi
    else
        echo "note: tinyproxy is not installed; skipping it"
    fi
fi

# ---- rounds ---------------------------------------------------------------------
RESULTS=$WORK/results
: >"$RESULTS"
ORDER=(direct splice haproxy proxyd dante microsocks squid tinyproxy)
PHASES=("bulk-tcp bulk tcp" "rate-tcp rate tcp" "bulk-socks bulk socks" "rate-socks rate socks"
    "rate-socks-auth rate auth" "rate-connect rate connect" "rate-get get get")

run_one() {  # phase mode group name
    local phase=$1 mode=$2 group=$3 name=$4
    local port pid flags before after out client=-
    read -r port pid flags <<<"${SYS[$group:$name]}"
    next_net
    if [ "$mode" != bulk ]; then  # rate or get: clients for SECS seconds
        local target=$SINK target_pid=$PIDS_SINK
        [ "$mode" = rate ] || { target=$ORIGIN; target_pid=$PIDS_ORIGIN; }
        wait_time_wait
        before=0
        [ "$pid" = - ] || before=$(cpu_ticks "$pid")
        local target_before target_after loadgen_ms
        target_before=$(cpu_ticks "$target_pid")
        # shellcheck disable=SC2086
        out=$(on_clients "$LOADGEN" "$mode" --port "$port" --target "$target" $flags --clients "$CLIENTS" \
            --seconds "$SECS" --source-net "$NET") || out=""
        after=0
        [ "$pid" = - ] || after=$(cpu_ticks "$pid")
        target_after=$(cpu_ticks "$target_pid")
        read -r value units failures _ loadgen_ms <<<"${out:-0 0 0 0 0}"
        # How busy the client side's CPUs were (load generator plus sink or origin): near
        # 100% the run measured the clients, not the server.
        client=$(awk -v ms="${loadgen_ms:-0}" -v t=$((target_after - target_before)) -v hz="$HZ" \
            -v secs="$SECS" -v n="$CLIENT_CPU_COUNT" 'BEGIN { printf "%.0f", (ms / 1000 + t / hz) * 100 / (secs * n) }')
    else
        before=0
        [ "$pid" = - ] || before=$(cpu_ticks "$pid")
        # shellcheck disable=SC2086
        out=$(on_clients "$LOADGEN" bulk --port "$port" --target "$SINK" $flags --mib "$MIB" \
            --source-net "$NET") || out=""
        after=0
        [ "$pid" = - ] || after=$(cpu_ticks "$pid")
        value=${out:-0}
        units=$MIB
        failures=$([ -n "$out" ] && echo 0 || echo 1)
    fi
    local cpu=-
    [ "$pid" = - ] || cpu=$((after - before))
    [ "$cpu" = - ] || [ "$cpu" -ge 0 ] || cpu=-  # a process tree that lost an exited child
    echo "$phase $name $value $units $cpu $failures $client" >>"$RESULTS"
    [ -z "${BENCH_VERBOSE:-}" ] || echo "$(date +%T) $phase $name $value $units $cpu $failures client ${client}%" >&2
}

echo "== relays on $CPUS cores, $(uname -r); $ROUNDS rounds, bulk $MIB MiB," \
    "rate $CLIENTS clients x $SECS s"
if [ -n "$SERVER_CPUS" ]; then
    echo "== servers pinned to CPUs $SERVER_CPUS; load generator, sink and origin to $CLIENT_CPUS"
else
    echo "== not pinned: servers and clients share every CPU"
fi
for round in $(seq "$ROUNDS"); do
    for spec in "${PHASES[@]}"; do
        read -r phase mode group <<<"$spec"
        [ -z "${BENCH_PHASES:-}" ] || [[ " $BENCH_PHASES " == *" $phase "* ]] || continue
        systems=()
        for name in "${ORDER[@]}"; do [ -n "${SYS[$group:$name]:-}" ] && systems+=("$name"); done
        n=${#systems[@]}
        [ "$n" -gt 0 ] || continue
        for i in $(seq 0 $((n - 1))); do
            run_one "$phase" "$mode" "$group" "${systems[$(((i + round - 1) % n))]}"
        done
    done
    echo "round $round of $ROUNDS done" >&2
done
kill "$PIDS_SINK" "$PIDS_ORIGIN" 2>/dev/null || true

python3 - "$RESULTS" "$HZ" <<'PY'
import statistics, sys
from collections import defaultdict

path, hz = sys.argv[1], int(sys.argv[2])
runs = defaultdict(list)  # (phase, system) -> [(value, units, cpu_ticks, failures, client %)]
phases = []
for line in open(path):
    phase, name, value, units, cpu, fails, client = line.split()
    if phase not in phases:
        phases.append(phase)
    runs[(phase, name)].append((float(value), float(units), None if cpu == "-" else int(cpu), int(fails),
                                None if client == "-" else float(client)))

def fmt(x, digits=0):
    return "-" if x is None else f"{x:,.{digits}f}"

summary = []
for phase in phases:
    bulk = phase.startswith("bulk")
    what = "req" if phase == "rate-get" else "conn"
    unit = "MiB/s" if bulk else f"{what}/s"
    cpu_unit = "CPU s/GiB" if bulk else f"CPU ms/1k {what}"
    names = [n for (p, n) in runs if p == phase]
    med = {n: statistics.median(v for v, *_ in runs[(phase, n)]) for n in names}
    base = med.get("proxyd")
    print(f"\n{phase} ({unit}, higher is better; CPU is the server's, lower is better)")
    print(f"{'system':<12}{'median':>12}{'min':>12}{cpu_unit:>16}{'vs proxyd':>11}{'failed':>8}"
          + ("" if bulk else f"{'client CPU':>12}"))
    for n in names:
        rs = runs[(phase, n)]
        clients = [r[4] for r in rs if r[4] is not None]
        per = []
        for value, units, cpu, *_ in rs:
            if cpu is None or units <= 0:
                continue
            secs = cpu / hz
            per.append(secs / (units / 1024) if bulk else secs * 1000 / (units / 1000))
        cpu_med = statistics.median(per) if per else None
        ratio = med[n] / base if base else None
        client = f"{statistics.median(clients):.0f}%" if clients else "-"
        print(f"{n:<12}{fmt(med[n]):>12}{fmt(min(v for v, *_ in rs)):>12}"
              f"{fmt(cpu_med, 2):>16}{fmt(ratio, 2):>11}{sum(r[3] for r in rs):>8}"
              + ("" if bulk else f"{client:>12}"))
    if base:
        others = ", ".join(f"{med[n] and base / med[n]:.2f}x {n}" for n in names if n != "proxyd")
        summary.append(f"{phase}: proxyd {fmt(base)} {unit}" + (f" = {others}" if others else ""))
print("\nsummary (proxyd's median over each system's median)")
for line in summary:
    print("  " + line)
PY
