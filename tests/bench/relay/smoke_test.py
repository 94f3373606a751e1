"""A short run of scripts/bench-relays.sh with the systems built here (a direct
connection, the splice floor, proxyd) and Squid and Tinyproxy where they are installed:
every phase prints its table with a positive median for each system, and the summary
follows. The HTTP phases always have proxyd's row; the others' rows are optional.

    smoke_test.py PROXYD SOURCE_DIR BIN_DIR TEST_NAME
"""
import os
import re
import shutil
import subprocess
import sys

PHASES = {
    "bulk-tcp": ["direct", "splice", "proxyd"],
    "rate-tcp": ["direct", "splice", "proxyd"],
    "bulk-socks": ["proxyd"],
    "rate-socks": ["proxyd"],
    "rate-socks-auth": ["proxyd"],
    "rate-connect": ["proxyd"],
    "rate-get": ["direct", "proxyd"],
}
# Rows that appear when the system is installed and starts (the script says when not).
OPTIONAL = {"rate-connect": ["squid", "tinyproxy"], "rate-get": ["squid", "tinyproxy"]}


def tables(output):
    """phase -> {system: [median, min, cpu, ratio, failed(, client CPU for rates)]}"""
    found, phase = {}, None
    for line in output.splitlines():
        head = re.match(r"^([a-z-]+) \(", line)
        if head:
            phase = head.group(1)
            found[phase] = {}
        elif phase and re.match(r"^[a-z]+ +[0-9,]", line):
            name, *cells = line.split()
            found[phase][name] = cells
        elif not line.strip():
            phase = None
    return found


def table_for_each_phase(proxyd, source_dir, bin_dir):
    for tool in ("g++", "ss"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing")
            sys.exit(77)
    env = dict(os.environ, BENCH_SYSTEMS="direct splice proxyd squid tinyproxy", BENCH_INSTALL="0",
               BENCH_ROUNDS="1", BENCH_MIB="16", BENCH_SECONDS="0.5", BENCH_PROXYD=proxyd,
               BENCH_BIN_DIR=bin_dir,
               BENCH_TIME_WAIT_MAX="1000000")  # tiny runs; other tests share the table
    run = subprocess.run([os.path.join(source_dir, "scripts", "bench-relays.sh")], env=env,
                         capture_output=True, text=True, timeout=50)
    print(run.stdout, run.stderr)
    assert run.returncode == 0
    found = tables(run.stdout)
    for phase, systems in PHASES.items():
        assert phase in found, phase
        optional = OPTIONAL.get(phase, [])
        assert set(systems) <= set(found[phase]), (phase, found[phase])
        assert set(found[phase]) <= set(systems + optional), (phase, found[phase])
        for name, cells in found[phase].items():
            assert float(cells[0].replace(",", "")) > 0, (phase, name)
            assert cells[4] == "0", (phase, name, "failures")
        assert found[phase]["proxyd"][3] == "1.00"
    assert "summary" in run.stdout


if __name__ == "__main__":
    proxyd_bin, src, bins, name = sys.argv[1:5]
    globals()[name](proxyd_bin, src, bins)
