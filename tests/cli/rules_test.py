#!/usr/bin/env python3
"""proxyctl rules CODE: each rule's explanation, and the pages of docs/rules/ generated
from the same table.

Usage: rules_test.py PROXYCTL SOURCE_DIR TEST_NAME   (TEST_NAME "all" runs every test)
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_tests import check, run_program, script_main, write  # noqa: E402

PROXYCTL = ""
SOURCE_DIR = ""
REGENERATE = "scripts/gen-rule-docs.sh build/tools/proxyctl"


def run(*args):
    return run_program([PROXYCTL, *args])


def codes():
    return [line.split()[0] for line in run("rules").out.splitlines()]


def test_rules_explains_a_code_or_name(tmp):
    """'rules PX204', 'rules px204' and 'rules shadowed-acl-entry' print the same page:
    summary, explanation, both examples, the fix and the page address."""
    r = run("rules", "PX204")
    check(r.rc == 0 and r.err == "", "by code", r)
    out = r.out
    check(out.startswith("PX204  shadowed-acl-entry  (warning)\n"), "title", r)
    check("first entry that matches decides" in out, "explanation", r)
    check("Reported for:\n    allow * 10.0.0.0/8\n    allow * 10.1.0.0/16\n" in out, "example", r)
    check("Not reported for:\n    allow * 10.1.0.0/16\n    allow * 10.0.0.0/8\n" in out,
          "near miss", r)
    check("\nFix: Remove it, or move it above the broader entry.\n" in out, "fix", r)
    check("/rules/PX204.md" in out, "page", r)
    check(all(len(line) <= 80 for line in out.splitlines()), "wrapped at 80", r)
    for alias in ("px204", "shadowed-acl-entry", "Shadowed-ACL-Entry"):
        r = run("rules", alias)
        check(r.rc == 0 and r.out == out, "alias %s" % alias, r)
    r = run("rules", "PX101", "PX204")
    check(r.rc == 0 and r.out.startswith("PX101  ") and ("\n" + out) in r.out, "two rules", r)
    r = run("rules")
    check(r.rc == 0 and len(r.out.splitlines()) == len(codes()) and "Reported for" not in r.out,
          "without a rule the table is unchanged", r)


def test_rules_unknown_rule_suggests_and_exits_2(tmp):
    """A misspelt code or name is an error on stderr with the closest rule, exit 2, and
    nothing on stdout, even when other rules named are fine."""
    r = run("rules", "PX2O4")
    check(r.rc == 2 and r.out == "" and "unknown rule 'PX2O4'" in r.err and
          "did you mean PX204 (shadowed-acl-entry)?" in r.err, "code typo", r)
    r = run("rules", "force-after-service")
    check(r.rc == 2 and "did you mean PX101 (force-after-last-service)?" in r.err, "name", r)
    r = run("rules", "PX204", "no-such-thing-at-all")
    check(r.rc == 2 and r.out == "" and "did you mean" not in r.err and
          "proxyctl rules" in r.err, "nothing close", r)
    r = run("rules", "--json", "--markdown")
    check(r.rc == 2, "--json and --markdown exclude each other", r)


def test_rules_json_for_named_rules(tmp):
    """--json with rules: an array of objects with the explanation, examples and page;
    null examples with the reason for a rule that has none."""
    r = run("rules", "--json", "PX204", "PX000", "PX214", "PX111")
    check(r.rc == 0, "json", r)
    rules = json.loads(r.out)
    check([x["code"] for x in rules] == ["PX204", "PX000", "PX214", "PX111"], "order", r)
    keys = ["code", "severity", "name", "summary", "fix", "fixit", "help", "example",
            "near_miss", "no_example", "url"]
    check(all(list(x) == keys for x in rules), "keys", r)
    px204, px000, px214, px111 = rules
    # What `check --fix` does with each rule's fix-its, as the text and the pages say.
    check([x["fixit"] for x in rules] == [None, None, "safe", "depends"], "fixit", r)
    check(px204["example"].startswith("allow * 10.0.0.0/8\n") and px204["no_example"] is None,
          "example", r)
    check(px000["example"] is None and px000["near_miss"] is None and px000["no_example"],
          "no example", r)
    check("\n\n" in px204["help"] and px204["url"].endswith("/rules/PX204.md"), "help", r)


def test_rule_pages_are_generated(tmp):
    """docs/rules/ holds exactly the pages 'proxyctl rules --markdown' prints: one per code
    and README.md; a rule table edit without regenerating them fails here."""
    docs = os.path.join(SOURCE_DIR, "docs", "rules")
    hint = "docs/rules/ is out of date: run " + REGENERATE
    expected = {"README.md": run("rules", "--markdown").out}
    for code in codes():
        expected[code + ".md"] = run("rules", "--markdown", code).out
    present = sorted(f for f in os.listdir(docs) if f.endswith(".md"))
    check(present == sorted(expected), "%s (pages missing: %s, stale: %s)" % (
        hint, sorted(set(expected) - set(present)), sorted(set(present) - set(expected))))
    differ = [name for name, text in sorted(expected.items())
              if open(os.path.join(docs, name), encoding="utf-8").read() != text]
    check(not differ, "%s (pages that differ: %s)" % (hint, differ))
    index = expected["README.md"]
    check(all("(%s.md)" % c in index for c in codes()), "index links every page")


def test_check_text_points_to_rules(tmp):
    """check's text output ends with one note naming 'proxyctl rules CODE' for the first
    code; gcc and github output, and a clean check, stay as they were."""
    cfg = write(f"{tmp}/warn.cfg", "socks -i127.0.0.1 -p1080\nforce\n")
    r = run("check", "--offline", cfg)
    check(r.rc == 1 and r.out.endswith(
        "note: 'proxyctl rules CODE' explains a code and how to fix it, e.g. "
        "'proxyctl rules PX102'\n"), "text", r)
    check(r.out.count("proxyctl rules") == 2, "once per run", r)
    for fmt in ("gcc", "github"):
        r = run("check", "--offline", "--format", fmt, cfg)
        check(r.rc == 1 and "proxyctl rules" not in r.out, fmt, r)
    clean = write(f"{tmp}/clean.cfg", "socks -i127.0.0.1 -p1080\n")
    r = run("check", "--offline", clean)
    check(r.rc == 0 and r.out == "", "clean", r)


def main():
    return script_main(globals(), __doc__, "proxyctl-rules-")


if __name__ == "__main__":
    sys.exit(main())
