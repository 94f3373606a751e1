"""contrib/prometheus checked by promtool (Debian package prometheus).

    python3 prometheus_test.py SOURCE_DIR SCENARIO

Exit 77 (skipped) when promtool is not installed.
"""
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def promtool(*args, cwd=None):
    r = subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True, timeout=50)
    return r.returncode, r.stdout + r.stderr


def expect_ok(*args, cwd=None, contains=None):
    status, out = promtool(*args, cwd=cwd)
    if status != 0:
        raise AssertionError("promtool %s failed (%d):\n%s" % (" ".join(args), status, out))
    if contains and contains not in out:
        raise AssertionError("promtool %s: %r not in\n%s" % (" ".join(args), contains, out))
    return out


def alert_rules_load(contrib):
    # Every alert of the file, by name: a rule lost in an edit fails here.
    out = expect_ok("check", "rules", "alerts.yml", cwd=contrib, contains="SUCCESS: 5 rules")
    with open(os.path.join(contrib, "alerts.yml")) as f:
        text = f.read()
    for name in ("ProxydDown", "ProxydReloadFailed", "ProxydConfigNotReloaded",
                 "ProxydRefusalsSpiking", "ProxydAuthFailuresSpiking"):
        assert "alert: " + name in text, name
    return out


def alert_rules_unit_test(contrib):
    expect_ok("test", "rules", "alerts_test.yml", cwd=contrib, contains="SUCCESS")


def scrape_config_is_valid(contrib):
    expect_ok("check", "config", "scrape.yml", cwd=contrib, contains="SUCCESS")


def rules_and_scrape_together(contrib):
    # What an operator assembles: the scrape job with the rules file next to it.
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(contrib, "alerts.yml"), tmp)
        with open(os.path.join(contrib, "scrape.yml")) as f:
            scrape = f.read()
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            f.write("rule_files:\n  - alerts.yml\n" + scrape)
        out = expect_ok("check", "config", "prometheus.yml", cwd=tmp)
        if "5 rules found" not in out:
            raise AssertionError("the rules were not read with the config:\n" + out)


def main():
    source_dir, scenario = sys.argv[1], sys.argv[2]
    if shutil.which("promtool") is None:
        print("promtool is not installed (Debian package prometheus): skipped")
        return SKIP
    globals()[scenario](os.path.join(source_dir, "contrib", "prometheus"))
    print("ok:", scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())
