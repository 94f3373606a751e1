# shellcheck shell=bash
# Shared by the bench-*.sh scripts (sourced from the repository root): ports for the
# servers a run starts. pick_port sets PORT.

# Ports come from a range the run starts at random; a server that cannot bind its port
# (another process took it meanwhile) exits, and the next port is tried.
NEXT_PORT=$((20000 + RANDOM % 10000))
pick_port() {
    while ss -Hltn "sport = :$NEXT_PORT" | grep -q .; do NEXT_PORT=$((NEXT_PORT + 1)); done
    # shellcheck disable=SC2034 # read by the scripts that source this
    PORT=$NEXT_PORT
    NEXT_PORT=$((NEXT_PORT + 1))
}
listening() {  # port pid: the pid is alive and something listens on the port
    local port=$1 pid=$2
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 1
        if ss -Hltn "sport = :$port" | grep -q .; then
            sleep 0.2
            kill -0 "$pid" 2>/dev/null && return 0
            return 1
        fi
        sleep 0.05
    done
    kill "$pid" 2>/dev/null || true
    return 1
}
