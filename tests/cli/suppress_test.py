#!/usr/bin/env python3
"""Drives the real `proxyctl check` for what decides its exit status and what is hidden:
--fail-on in every output format and from .proxyctl.toml, suppression blocks
(disable= ... enable=), and the findings about suppression comments themselves (PX028,
PX029).

Usage: suppress_test.py PROXYCTL SOURCE_DIR TEST_NAME   (TEST_NAME "all" runs every test)

Each test_* function is one ctest test (tests/cli/CMakeLists.txt lists them) and runs in
its own temporary directory.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from schemas import loads_valid  # noqa: E402
from script_tests import check, offline_env, run_program, script_main, write  # noqa: E402

PROXYCTL = ""
SOURCE_DIR = ""

# A clean start: a user, strong auth, an ACL that ends in a catch-all, one service.
CLEAN = ("users alice:CL:wonderland\nauth strong\nallow alice\ndeny *\n"
         "socks -i127.0.0.1 -p1080\n")
ONLY_INFO = CLEAN + "end\nnotes\n"               # PX024 (and PX206), infos
ONLY_WARNING = CLEAN + "flush\n"                 # PX113, a warning
WITH_ERROR = "frobnicate now\n" + ONLY_WARNING   # PX001, an error, and PX113
FORMATS = ["text", "gcc", "json", "sarif", "github"]


def run(*args, cwd=None):
    return run_program([PROXYCTL, *args], stdin=subprocess.DEVNULL, env=offline_env(),
                       timeout=60, cwd=cwd)


def check_file(tmp, text, *options, name="proxy.cfg"):
    path = write(os.path.join(tmp, name), text)
    return run("check", "--offline", *options, path, cwd=tmp)


def json_diagnostics(r):
    doc = loads_valid(SOURCE_DIR, "check", r.out, "check --format json")
    return [d for f in doc["files"] for d in f["diagnostics"]]


# --- --fail-on -----------------------------------------------------------------------------

def test_fail_on_exit_status_in_every_format(tmp):
    """--fail-on LEVEL: exit 1 only for a reported finding at or above LEVEL; the findings
    below it are still in the output, in every format."""
    cases = [
        # (config, options, expected status, code that must be in the output)
        (ONLY_INFO, ["--severity", "info"], 1, "PX024"),
        (ONLY_INFO, ["--severity", "info", "--fail-on", "info"], 1, "PX024"),
        (ONLY_INFO, ["--severity", "info", "--fail-on", "warning"], 0, "PX024"),
        (ONLY_INFO, ["--severity", "info", "--fail-on", "error"], 0, "PX024"),
        (ONLY_WARNING, [], 1, "PX113"),
        (ONLY_WARNING, ["--fail-on", "warning"], 1, "PX113"),
        (ONLY_WARNING, ["--fail-on", "error"], 0, "PX113"),
        (ONLY_WARNING, ["--severity", "info", "--fail-on", "error"], 0, "PX113"),
        (ONLY_WARNING, ["--werror", "--fail-on", "error"], 1, "PX113"),
        (WITH_ERROR, ["--fail-on", "error"], 1, "PX001"),
        (WITH_ERROR, ["--severity", "error", "--fail-on", "info"], 1, "PX001"),
        (CLEAN, ["--fail-on", "info"], 0, None),
    ]
    for fmt in FORMATS:
        for config, options, status, code in cases:
            r = check_file(tmp, config, "--format", fmt, *options)
            what = "%s %s" % (fmt, " ".join(options) or "(no options)")
            check(r.rc == status, "%s: exit %d" % (what, status), r)
            if code:
                check(code in r.out, "%s: %s is still reported" % (what, code), r)
            if fmt == "json":
                json_diagnostics(r)  # valid against the schema either way


def test_fail_on_below_severity_counts_only_reported_findings(tmp):
    """Findings below --severity are not reported, so --fail-on info does not fail on an
    info nobody sees."""
    r = check_file(tmp, ONLY_INFO, "--fail-on", "info")
    check(r.rc == 0 and "PX024" not in r.out, "hidden infos do not fail the check", r)


def test_fail_on_rejects_other_values(tmp):
    r = check_file(tmp, CLEAN, "--fail-on", "fatal")
    check(r.rc == 2 and "fail-on" in r.err, "an unknown level is a usage error", r)


def test_fail_on_in_project_config(tmp):
    """fail-on in .proxyctl.toml is the default; --fail-on on the command line wins."""
    write(os.path.join(tmp, ".proxyctl.toml"), 'fail-on = "error"\n')
    r = check_file(tmp, ONLY_WARNING)
    check(r.rc == 0 and "PX113" in r.out, "fail-on from the project config", r)
    r = check_file(tmp, ONLY_WARNING, "--fail-on", "warning")
    check(r.rc == 1, "--fail-on overrides the project config", r)
    r = check_file(tmp, ONLY_WARNING, "--no-config")
    check(r.rc == 1, "--no-config ignores it", r)
    write(os.path.join(tmp, ".proxyctl.toml"), 'fail-on = "sometimes"\n')
    r = check_file(tmp, ONLY_WARNING)
    check(r.rc == 2 and "fail-on" in r.err, "a bad value in the project config", r)


def test_fail_on_is_in_the_help(tmp):
    r = run("check", "--help")
    check(r.rc == 0 and "--fail-on" in r.out, "check --help lists --fail-on", r)


# --- suppression blocks and findings about suppressions -----------------------------------

def test_block_suppression_through_the_cli(tmp):
    """disable= ... enable= hides the code on every line in between, and only there."""
    cfg = (CLEAN + "# proxyctl: disable=flush-after-last-service\nflush\n\nflush\n"
           "# proxyctl: enable=PX113\nflush\n")
    r = check_file(tmp, cfg, "--format", "json")
    found = [(d["code"], d["line"]) for d in json_diagnostics(r)]
    check(r.rc == 1 and found == [("PX113", 11)], "only the flush after the block", r)


def test_enable_without_disable_is_reported(tmp):
    r = check_file(tmp, ONLY_WARNING + "# proxyctl: enable=PX113\n", "--format", "gcc")
    check(r.rc == 1 and "proxy.cfg:7:20: warning:" in r.out and "[PX028]" in r.out,
          "PX028 at the word of the enable comment", r)


def test_unused_suppression_reported_with_a_fix_it(tmp):
    """A suppression that hides nothing is PX029, with a fix-it removing the comment line;
    --fail-on error lets CI see it without failing."""
    cfg = "# proxyctl: disable=PX113\n" + CLEAN
    r = check_file(tmp, cfg, "--format", "json")
    diags = json_diagnostics(r)
    check(r.rc == 1 and [d["code"] for d in diags] == ["PX029"], "one PX029", r)
    d = diags[0]
    check(d["line"] == 1 and d["severity"] == "warning", "on the comment, a warning", r)
    fix = d["fixits"][0]
    check(fix["replacement"] == "" and fix["line"] == 1 and fix["column"] == 1
          and fix["length"] == len("# proxyctl: disable=PX113\n"), "removes the line", r)
    r = check_file(tmp, cfg, "--format", "sarif")
    run_ = json.loads(r.out)["runs"][0]
    result = run_["results"][0]
    check(result["ruleId"] == "PX029" and result.get("fixes"), "sarif: PX029 with a fix", r)
    r = check_file(tmp, cfg, "--fail-on", "error")
    check(r.rc == 0 and "[PX029]" in r.out, "shown, but does not fail with --fail-on error", r)


def test_unused_suppression_not_reported_for_filtered_rules(tmp):
    """A suppression of a rule this run does not check could be hiding a real finding:
    --disable, .proxyctl.toml disable and --severity keep PX029 quiet for it."""
    cfg = CLEAN + "# proxyctl: disable=PX113\nflush\n"
    r = check_file(tmp, cfg)
    check(r.rc == 0 and r.out == "", "a used suppression", r)
    r = check_file(tmp, cfg, "--disable", "PX113")
    check(r.rc == 0 and "PX029" not in r.out, "--disable of the suppressed rule", r)
    r = check_file(tmp, cfg, "--severity", "error")
    check(r.rc == 0 and "PX029" not in r.out, "a rule below --severity", r)
    info = "# proxyctl: disable=end-directive\n" + CLEAN
    r = check_file(tmp, info)
    check(r.rc == 0 and "PX029" not in r.out, "an info rule under the default severity", r)
    r = check_file(tmp, info, "--severity", "info")
    check(r.rc == 1 and "[PX029]" in r.out, "judged once infos are checked", r)
    write(os.path.join(tmp, ".proxyctl.toml"), 'disable = ["PX113"]\n')
    r = check_file(tmp, cfg)
    check(r.rc == 0 and "PX029" not in r.out, "disable in .proxyctl.toml", r)
    r = check_file(tmp, "# proxyctl: disable=PX113\n" + CLEAN, "--disable", "unused-suppression")
    check(r.rc == 0 and r.out == "", "PX029 itself switched off", r)


def main():
    return script_main(globals(), __doc__, "pctl-supp-")


if __name__ == "__main__":
    sys.exit(main())
