#!/usr/bin/env python3
"""Drives the real `proxyctl check` for the linter's precision as a user meets it: which
findings a configuration gets, on which lines, at which severity and with which exit
status, and that one mistake neither hides nor multiplies the others.

Usage: precision_test.py PROXYCTL SOURCE_DIR TEST_NAME   (TEST_NAME "all" runs every test)

Each test_* function is one ctest test (tests/cli/CMakeLists.txt lists them) and runs in
its own temporary directory.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from schemas import loads_valid  # noqa: E402
from script_tests import Result, check, offline_env, run_program, script_main, write  # noqa: E402

PROXYCTL = ""
SOURCE_DIR = ""

# A clean start: a user, strong auth and an ACL that ends in a catch-all.
HEAD = "users alice:CL:wonderland\nauth strong\nallow alice\ndeny *\n"
# The first line of a finding in text output: file:line:col: severity: message [CODE].
FINDING = re.compile(r"^(.+?):(\d+):(\d+): (error|warning|info): (.*) \[(PX\d{3})\]$")


class CheckResult(Result):
    """A run of proxyctl check, with the findings of its text output."""

    def findings(self):
        """(line, severity, code, message) of each finding of the text output."""
        found = []
        for text in self.out.splitlines():
            m = FINDING.match(text)
            if m:
                found.append((int(m.group(2)), m.group(4), m.group(6), m.group(5)))
        return found

    def codes(self):
        return [f[2] for f in self.findings()]

    def __repr__(self):
        return "rc=%d\n--- stdout\n%s\n--- stderr\n%s" % (self.rc, self.out[:4000], self.err[:2000])


def run(*args, cwd=None):
    return run_program([PROXYCTL, *args], stdin=subprocess.DEVNULL, env=offline_env(),
                       timeout=60, cwd=cwd, result=CheckResult)


def check_file(tmp, text, *options):
    path = write(os.path.join(tmp, "proxy.cfg"), text)
    return run("check", "--offline", *options, path, cwd=tmp)


# --- force/noforce placement -------------------------------------------------------------

def test_toggle_opening_the_next_block_is_not_misplaced(tmp):
    """A noforce right after a service but followed by flush/auth/allow belongs to the next
    block: no PX102. One followed directly by the next service still is PX102."""
    cfg = (HEAD + "force\nsocks -i127.0.0.1 -p1080\nnoforce\nflush\nauth strong\n"
           "allow alice\nsocks -i127.0.0.1 -p1081\n")
    r = check_file(tmp, cfg)
    check("PX102" not in r.codes(), "noforce opening the next block is not PX102", r)
    check(r.rc == 0 and r.findings() == [], "the file is clean", r)
    cfg = HEAD + "force\nsocks -i127.0.0.1 -p1080\nnoforce\nsocks -i127.0.0.1 -p1081\n"
    r = check_file(tmp, cfg)
    found = [f for f in r.findings() if f[2] == "PX102"]
    check(r.rc == 1 and len(found) == 1 and found[0][:2] == (7, "warning"),
          "a noforce between two services is PX102 on its line", r)
    check("'socks:127.0.0.1:1080' (line 6)" in found[0][3], "names the service above", r)


# --- PX502 is info -----------------------------------------------------------------------

def test_ignored_directive_is_info_and_exit_0(tmp):
    """A directive proxyd ignores (rotate) in an otherwise clean file: exit 0 and nothing
    printed at the default severity; shown as info with --severity info."""
    cfg = "rotate 30\n" + HEAD + "socks -i127.0.0.1 -p1080\n"
    r = check_file(tmp, cfg)
    check(r.rc == 0 and r.out == "" and r.err == "", "default severity: clean", r)
    r = check_file(tmp, cfg, "--severity", "info")
    check((1, "info", "PX502") in [f[:3] for f in r.findings()], "PX502 shown as info", r)
    check(all(f[1] == "info" for f in r.findings()), "nothing above info", r)


# --- a bad service line hides nothing ----------------------------------------------------

def test_error_in_a_service_line_keeps_the_other_findings(tmp):
    """A bad -e address is reported together with the undefined user and the auth cache
    note of the same service, in one run."""
    cfg = ("users alice:CL:wonderland\nauth strong cache\nallow carol\n"
           "socks -i127.0.0.1 -e999.1.1.1 -p1080\n")
    r = check_file(tmp, cfg, "--severity", "info")
    found = [f[:3] for f in r.findings()]
    check(r.rc == 1, "an error: exit 1", r)
    check((4, "error", "PX009") in found, "the bad -e address", r)
    check((3, "warning", "PX202") in found, "the undefined user", r)
    check((2, "info", "PX508") in found, "the auth cache of the service", r)
    r = check_file(tmp, cfg)
    check(sorted(r.codes()) == ["PX009", "PX202"], "default severity: error and warning", r)


# --- an unreadable $file -----------------------------------------------------------------

def test_unreadable_dollar_file_drops_the_rest_of_the_line(tmp):
    """`allow $missing * * 80` is read as `allow`: one PX011 that says so, and no knock-on
    error about the dropped words."""
    missing = os.path.join(tmp, "missing.txt")
    cfg = HEAD.replace("allow alice\n", "allow alice\nallow $%s * * 80\n" % missing) + \
        "socks -i127.0.0.1 -p1080\n"
    r = check_file(tmp, cfg)
    errors = [f for f in r.findings() if f[1] == "error"]
    check(r.rc == 1 and len(errors) == 1 and errors[0][:3] == (4, "error", "PX011"),
          "one error, PX011 on line 4", r)
    msg = errors[0][3]
    check(missing in msg and "the rest of the line" in msg and "'allow'" in msg,
          "PX011 names the file and what is left", r)
    check("PX006" not in r.codes() and "PX001" not in r.codes() and "unknown" not in r.out,
          "no unknown operation or directive", r)


# --- repeated findings -------------------------------------------------------------------

def sixty_copies():
    """60 copies of one typo between a few other mistakes."""
    lines = ["users alice:CL:wonderland", "auth strong"]
    lines += ["maxconns %d" % (10 + i) for i in range(60)]
    lines += ["allow carol", "deny *", "socks -i127.0.0.1 -p1080", "force"]
    return "\n".join(lines) + "\n"


def test_sixty_copies_of_one_mistake_are_capped_not_binary(tmp):
    """Ten of the repeated finding are shown, then a note with the count of the rest; the
    file is not taken for binary data and every other finding is reported."""
    r = check_file(tmp, sixty_copies())
    check(r.rc == 1, "errors: exit 1", r)
    check("PX016" not in r.codes() and "binary" not in r.out, "not reported as binary", r)
    typos = [f for f in r.findings() if f[2] == "PX001"]
    check([f[0] for f in typos] == list(range(3, 13)), "the first ten typos are shown", r)
    check(re.search(r"^.*proxy\.cfg:13:1: note: and 50 more like this \(PX001\)", r.out, re.M),
          "a note counts the other 50 and points at the next one", r)
    others = [f[:3] for f in r.findings() if f[2] != "PX001"]
    check(others == [(63, "warning", "PX202"), (66, "warning", "PX102")],
          "the other findings are all there", r)

    r = check_file(tmp, sixty_copies(), "--format", "json")
    doc = loads_valid(SOURCE_DIR, "check", r.out, "check --format json")
    diags = [d for f in doc["files"] for d in f["diagnostics"]]
    check([d["code"] for d in diags] == ["PX001"] * 10 + ["PX202", "PX102"], "json findings", r)
    check(any("and 50 more like this" in n["message"] for n in diags[9]["notes"]),
          "json: the note on the tenth", r)

    r = check_file(tmp, sixty_copies(), "--format", "sarif")
    doc = json.loads(r.out)
    check(doc["version"] == "2.1.0" and len(doc["runs"]) == 1, "sarif document", r)
    rules = [rule["id"] for rule in doc["runs"][0]["tool"]["driver"]["rules"]]
    results = doc["runs"][0]["results"]
    check([x["ruleId"] for x in results] == ["PX001"] * 10 + ["PX202", "PX102"],
          "sarif results", r)
    for x in results:
        check(rules[x["ruleIndex"]] == x["ruleId"], "ruleIndex points at the rule", r)
        region = x["locations"][0]["physicalLocation"]["region"]
        check(region["startLine"] >= 1 and region["startColumn"] >= 1, "sarif region", r)
    related = results[9].get("relatedLocations", [])
    check(any("and 50 more like this" in loc["message"]["text"] for loc in related),
          "sarif: the note on the tenth", r)


def test_binary_content_still_stops(tmp):
    """Real binary data is still one PX016 and nothing else."""
    data = bytes((i * 37 + 11) % 256 for i in range(8192))
    path = write(os.path.join(tmp, "blob.cfg"), data)
    r = run("check", "--offline", path, cwd=tmp)
    check(r.rc == 1 and r.codes() == ["PX016"], "binary: one PX016", r)


# --- logformat fields ---------------------------------------------------------------------

def test_logformat_field_proxyd_does_not_expand(tmp):
    """%h in a logformat warns (PX511) for proxyd, and not in the 3proxy dialect."""
    cfg = 'logformat "L%h %U"\nlog ' + os.path.join(tmp, "x.log") + "\n" + HEAD + \
        "socks -i127.0.0.1 -p1080\n"
    r = check_file(tmp, cfg)
    found = [f for f in r.findings() if f[2] == "PX511"]
    check(r.rc == 1 and len(found) == 1 and found[0][:2] == (1, "warning"), "PX511 on line 1", r)
    check("%h" in found[0][3] and "%U" not in found[0][3].split(":")[0], "names %h", r)
    r = check_file(tmp, cfg, "--dialect", "3proxy")
    check(r.rc == 0 and "PX511" not in r.codes(), "3proxy expands %h", r)


# --- include of a directory or a pattern ----------------------------------------------------

def test_include_of_a_directory_or_a_glob_is_a_precise_error(tmp):
    """include conf.d and include conf.d/*.cfg each get a PX010 that says why."""
    os.mkdir(os.path.join(tmp, "conf.d"))
    write(os.path.join(tmp, "conf.d", "a.cfg"), "maxconn 10\n")
    cfg = "include conf.d\ninclude conf.d/*.cfg\n" + HEAD + "socks -i127.0.0.1 -p1080\n"
    r = check_file(tmp, cfg)
    found = r.findings()
    check(r.rc == 1 and [f[:3] for f in found] == [(1, "error", "PX010"), (2, "error", "PX010")],
          "two PX010 errors and nothing else", r)
    check("is a directory" in found[0][3] and "one include per file" in found[0][3],
          "the directory", r)
    check("does not expand '*'" in found[1][3] and "one include per file" in found[1][3],
          "the pattern", r)


# --- suppression comments ----------------------------------------------------------------

def test_suppression_comments_take_rule_names(tmp):
    """disable= and disable-file= take rule names in any case as well as codes; a word
    that names no rule is a PX027 warning with the nearest rule, and suppresses nothing."""
    body = HEAD + "socks -i127.0.0.1 -p1080\n"
    r = check_file(tmp, "# proxyctl: disable=Unknown-Directive\nfrobnicate now\n" + body)
    check(r.rc == 0 and r.findings() == [], "a name on the line above", r)
    r = check_file(tmp, "frobnicate now # proxyctl: disable=unknown-directive\n" + body)
    check(r.rc == 0 and r.findings() == [], "a name at the end of the line", r)
    r = check_file(tmp, "# proxyctl: disable-file=UNKNOWN-DIRECTIVE,px101\nfrobnicate\n" +
                   body + "frob\nforce\n")
    check(r.rc == 0 and r.findings() == [], "names and codes for the whole file", r)
    r = check_file(tmp, "# proxyctl: disable=unknown-directiv\nfrobnicate now\n" + body)
    check(r.rc == 1 and [f[:3] for f in r.findings()] == [(1, "warning", "PX027"),
                                                           (2, "error", "PX001")],
          "a misspelt name: PX027 and the finding it meant", r)
    msg = r.findings()[0][3]
    check("'unknown-directiv'" in msg and "did you mean 'unknown-directive' (PX001)?" in msg,
          "names the word and the nearest rule", r)
    check(re.search(r"^.*proxy\.cfg:1:21: warning:", r.out, re.M), "points at the word", r)
    r = check_file(tmp, "# proxyctl: disable=PX9999\n" + body, "--format", "json")
    doc = loads_valid(SOURCE_DIR, "check", r.out, "check --format json")
    diags = [d for f in doc["files"] for d in f["diagnostics"]]
    check(r.rc == 1 and [d["code"] for d in diags] == ["PX027"]
          and "'PX9999'" in diags[0]["message"], "json: an unknown code", r)


def main():
    return script_main(globals(), __doc__, "pctl-prec-")


if __name__ == "__main__":
    sys.exit(main())
