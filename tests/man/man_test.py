#!/usr/bin/env python3
"""Keeps the manual pages true to the built binaries and render them without warnings.

Usage: man_test.py PROXYCTL PROXYD SOURCE_DIR TEST_NAME   (TEST_NAME "all" runs every test)

Each test_* function is one ctest test (tests/man/CMakeLists.txt lists them). The facts
come from the binaries themselves (`proxyctl rules --json`, every `--help`); only the
directive table and the signal and control-command lists, which no binary prints, are
read from the sources. A test whose tool (groff, man) is missing exits 77: skipped.
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_tests import check, script_main  # noqa: E402

PROXYCTL = ""
PROXYD = ""
SOURCE_DIR = ""
SKIP = 77

# Codes whose example (rules.def) is bytes a page cannot show as text: a NUL byte, a
# byte that is not UTF-8. Their entries explain them in words.
BYTES_ONLY = {"PX016", "PX023"}

# Examples that show the text of a file whose bytes matter: the page says how.
EXAMPLE_BYTES = {
    "PX014": lambda text: b"\xef\xbb\xbf" + text.encode(),  # saved with a byte order mark
    "PX018": lambda text: text.replace("\n", "\r").encode(),  # CR-only line endings
    "PX019": lambda text: text.rstrip("\n").encode(),  # no newline after the last line
}


class SkipTest(Exception):
    pass


def run(argv, env=None, timeout=30, cwd=None):
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    if env:
        full_env.update(env)
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env,
                          timeout=timeout, cwd=cwd)
    check(proc.returncode >= 0, "%s was killed by signal %d" % (argv[0], -proc.returncode))
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode(
        "utf-8", "replace")


def page_path(name):
    return os.path.join(SOURCE_DIR, "man", name)


def read_page(name):
    with open(page_path(name), encoding="utf-8") as f:
        return f.read()


# --- roff to plain text ----------------------------------------------------------------

ESCAPES = [("\\(dq", '"'), ("\\(aq", "'"), ("\\(en", "-"), ("\\(em", "-"), ("\\-", "-"),
           ("\\&", ""), ("\\ ", " "), ("\\c", ""), ("\\e", "\\")]


def unescape(text):
    text = re.sub(r"\\f(\[[A-Z]*\]|[BIRP])", "", text)
    for escape, plain in ESCAPES:
        text = text.replace(escape, plain)
    return text


def macro_args(rest):
    """The arguments of a macro line, with roff's double-quote grouping."""
    args, current, quoted, i = [], "", False, 0
    while i < len(rest):
        c = rest[i]
        if c == '"':
            if quoted and rest[i + 1:i + 2] == '"':
                current += '"'
                i += 1
            else:
                quoted = not quoted
                if not quoted and current == "":
                    args.append("")
        elif c == " " and not quoted:
            if current:
                args.append(current)
            current = ""
        else:
            current += c
        i += 1
    if current:
        args.append(current)
    return args


def plain_line(line):
    """A source line as the reader sees it: font macros joined, escapes resolved."""
    if not line.startswith("."):
        return unescape(line)
    name, _, rest = line[1:].partition(" ")
    args = macro_args(rest)
    if name in ("B", "I", "SM", "SB"):
        return unescape(" ".join(args))
    if name in ("BR", "RB", "BI", "IB", "IR", "RI"):
        return unescape("".join(args))
    if name in ("SH", "SS"):
        return unescape(" ".join(args))
    return ""


def plain(source):
    return "\n".join(plain_line(line) for line in source.splitlines())


def sections(source, level="SH"):
    """{heading: [source lines]} for the .SH (or .SS) headings of a page."""
    out, current = {}, None
    for line in source.splitlines():
        if line.startswith("." + level + " "):
            current = plain_line(line)
            out[current] = []
        elif level == "SS" and line.startswith(".SH "):
            current = None
        elif current is not None:
            out[current].append(line)
    return out


def tags(lines):
    """The tag lines of .TP/.TQ paragraphs, as plain text."""
    return [plain_line(lines[i + 1]) for i in range(len(lines) - 1)
            if lines[i] in (".TP", ".TQ")]


# --- rendering -------------------------------------------------------------------------

def groff_renders(name):
    if not shutil.which("groff"):
        raise SkipTest("groff is not installed (Debian: groff-base)")
    rc, _, err = run(["groff", "-ww", "-z", "-t", "-man", page_path(name)])
    check(rc == 0 and err == "", "groff -ww -t -man %s: rc=%d\n%s" % (name, rc, err))


def man_renders(name):
    if not shutil.which("man"):
        raise SkipTest("man is not installed (Debian: man-db)")
    rc, out, err = run(["man", "--warnings", "-l", page_path(name)],
                       env={"MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat",
                            "MAN_KEEP_FORMATTING": ""})
    check(rc == 0 and err == "", "man --warnings -l %s: rc=%d\n%s" % (name, rc, err))
    check(len(out.splitlines()) > 20, "man -l %s rendered almost nothing:\n%s" % (name, out))
    too_wide = [l for l in out.splitlines() if len(l) > 80]
    check(not too_wide, "%s has lines wider than MANWIDTH=80:\n%s" % (name, "\n".join(too_wide)))


def test_groff_proxyctl_1(tmp):
    """proxyctl(1) renders with groff -ww without a warning."""
    groff_renders("proxyctl.1")


def test_groff_proxyd_cfg_5(tmp):
    """proxyd.cfg(5) renders with groff -ww without a warning."""
    groff_renders("proxyd.cfg.5")


def test_groff_proxyd_8(tmp):
    """proxyd(8) renders with groff -ww without a warning."""
    groff_renders("proxyd.8")


def test_man_proxyctl_1(tmp):
    """MANWIDTH=80 man --warnings -l proxyctl.1: no warning, nothing wider than 80."""
    man_renders("proxyctl.1")


def test_man_proxyd_cfg_5(tmp):
    """MANWIDTH=80 man --warnings -l proxyd.cfg.5: no warning, nothing wider than 80."""
    man_renders("proxyd.cfg.5")


def test_man_proxyd_8(tmp):
    """MANWIDTH=80 man --warnings -l proxyd.8: no warning, nothing wider than 80."""
    man_renders("proxyd.8")


# --- proxyd.cfg(5) DIAGNOSTICS ---------------------------------------------------------

def binary_rules():
    rc, out, err = run([PROXYCTL, "rules", "--json"])
    check(rc == 0, "proxyctl rules --json: rc=%d %s" % (rc, err))
    rules = json.loads(out)
    check(len(rules) > 50, "proxyctl rules --json lists only %d rules" % len(rules))
    return {r["code"]: r for r in rules}


def diagnostic_entries():
    """{code: {"severity", "example"}} from the .TP entries of the DIAGNOSTICS section."""
    lines = sections(read_page("proxyd.cfg.5")).get("DIAGNOSTICS")
    check(lines is not None, "proxyd.cfg.5 has no DIAGNOSTICS section")
    entries, code = {}, None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == ".TP" and i + 1 < len(lines):
            m = re.fullmatch(r"(PX\d{3}) \((error|warning|info)\)", plain_line(lines[i + 1]))
            check(m is not None, "entry tag %r is not 'PXnnn (severity)'" % lines[i + 1])
            code = m.group(1)
            check(code not in entries, "%s is described twice" % code)
            entries[code] = {"severity": m.group(2), "example": None}
            i += 2
            continue
        if line == ".EX" and code is not None:
            end = lines.index(".EE", i)
            if entries[code]["example"] is None:
                entries[code]["example"] = "".join(unescape(l) + "\n" for l in lines[i + 1:end])
            i = end + 1
            continue
        i += 1
    return entries


def test_diagnostics_list_every_rule(tmp):
    """Every code of 'proxyctl rules' has its entry with the same severity, and back."""
    rules = binary_rules()
    entries = diagnostic_entries()
    missing = sorted(set(rules) - set(entries))
    unknown = sorted(set(entries) - set(rules))
    check(not missing, "codes the binary knows but DIAGNOSTICS lacks: %s" % missing)
    check(not unknown, "codes in DIAGNOSTICS the binary does not know: %s" % unknown)
    wrong = ["%s: page %s, binary %s" % (c, e["severity"], rules[c]["severity"])
             for c, e in sorted(entries.items()) if e["severity"] != rules[c]["severity"]]
    check(not wrong, "severities differ:\n" + "\n".join(wrong))
    # Codes mentioned anywhere in any page must exist too (a renamed rule leaves traces).
    for name in ("proxyd.cfg.5", "proxyctl.1", "proxyd.8"):
        for code in set(re.findall(r"PX\d{3}", read_page(name))):
            check(code in rules, "%s mentions %s, which 'proxyctl rules' does not list"
                  % (name, code))


def test_diagnostics_examples_are_the_rule_table_examples(tmp):
    """Each entry shows its rule's example from rules.def, the table the linter's own
    example test runs; a rule without one there (NO_EXAMPLE) has none on the page."""
    entries = diagnostic_entries()
    table = rule_examples()
    failures = []
    for code, entry in sorted(entries.items()):
        example = entry["example"]
        expected = table.get(code)
        if example is None:
            if expected is not None and code not in BYTES_ONLY:
                failures.append("%s: rules.def has an example the page does not show:\n%r"
                                % (code, expected))
            continue
        shown = EXAMPLE_BYTES[code](example) if code in EXAMPLE_BYTES else example.encode()
        if shown != expected:
            failures.append("%s: the page shows\n%r\nrules.def has\n%r" % (code, shown,
                                                                               expected))
    check(not failures, "\n".join(failures))


def test_diagnostics_examples_trigger_their_code(tmp):
    """Each entry's example configuration really makes 'proxyctl check' report its code."""
    entries = diagnostic_entries()
    failures = []
    for code, entry in sorted(entries.items()):
        example = entry["example"]
        if example is None:
            continue
        dialect = "3proxy" if example.startswith("# proxyctl check --dialect 3proxy\n") else \
            "proxyd"
        path = os.path.join(tmp, code + ".cfg")
        with open(path, "wb") as f:
            f.write(EXAMPLE_BYTES[code](example) if code in EXAMPLE_BYTES else example.encode())
        rc, out, err = run([PROXYCTL, "check", "--offline", "--severity", "info", "--format",
                            "json", "--dialect", dialect, path], cwd=tmp)
        try:
            found = {d["code"] for f in json.loads(out)["files"] for d in f["diagnostics"]}
        except (ValueError, KeyError) as e:
            failures.append("%s: unreadable check output (%s): %s %s" % (code, e, out, err))
            continue
        if code not in found or rc != 1:
            failures.append("%s: example gives rc=%d and %s\n%s" % (code, rc, sorted(found),
                                                                    example))
    check(not failures, "\n".join(failures))


# --- proxyctl(1) against the CLI -------------------------------------------------------

def help_entries(text, heading):
    """First words of the lines under 'heading:' in CLI11 --help output."""
    out, inside = [], False
    for line in text.splitlines():
        if line.strip() == heading + ":":
            inside = True
            continue
        if inside:
            if not line.strip():
                break
            if line.startswith("  ") and not line.startswith("    "):
                out.append(line.split()[0])
    return out


def binary_subcommands():
    rc, out, err = run([PROXYCTL, "--help"])
    check(rc == 0, "proxyctl --help: rc=%d %s" % (rc, err))
    subs = [s for s in help_entries(out, "Subcommands") if not s.startswith("__")]
    check("check" in subs, "no subcommands found in proxyctl --help:\n" + out)
    return subs


def long_options(help_text):
    """Every --long option named in the Options section of a --help text."""
    options = set()
    for entry in help_entries(help_text, "Options"):
        options.update(re.findall(r"--[a-z][a-z0-9-]*", entry))
    return options


def test_proxyctl_subcommands_match_help(tmp):
    """The subcommands proxyctl(1) documents are those 'proxyctl --help' lists."""
    documented = [re.match(r"proxyctl (\S+)", h).group(1)
                  for h in sections(read_page("proxyctl.1"), "SS") if h.startswith("proxyctl ")]
    subs = binary_subcommands()
    check(sorted(set(subs) - set(documented)) == [],
          "in --help but not in proxyctl(1): %s" % sorted(set(subs) - set(documented)))
    check(sorted(set(documented) - set(subs)) == [],
          "in proxyctl(1) but not in --help: %s" % sorted(set(documented) - set(subs)))
    synopsis = plain("\n".join(sections(read_page("proxyctl.1"))["SYNOPSIS"]))
    for sub in subs:
        check("proxyctl " + sub in synopsis, "SYNOPSIS lacks 'proxyctl %s'" % sub)


def test_proxyctl_options_documented(tmp):
    """Every long option of every subcommand's --help is in that subcommand's section."""
    source = read_page("proxyctl.1")
    by_sub = {re.match(r"proxyctl (\S+)", h).group(1): plain("\n".join(lines))
              for h, lines in sections(source, "SS").items() if h.startswith("proxyctl ")}
    check("--help" in plain(source), "proxyctl(1) does not mention --help")
    missing = []
    for sub in binary_subcommands():
        rc, out, err = run([PROXYCTL, sub, "--help"])
        check(rc == 0, "proxyctl %s --help: rc=%d %s" % (sub, rc, err))
        options = long_options(out) - {"--help"}
        text = by_sub.get(sub, "")
        missing += ["%s %s" % (sub, o) for o in sorted(options)
                    if not re.search(re.escape(o) + r"(?![a-z0-9-])", text)]
    rc, out, _ = run([PROXYCTL, "--help"])
    missing += [o for o in sorted(long_options(out))
                if not re.search(re.escape(o) + r"(?![a-z0-9-])", plain(source))]
    check(not missing, "options missing from proxyctl(1): %s" % missing)


def test_proxyd_options_documented(tmp):
    """Every option of 'proxyd --help', long and short, is under OPTIONS in proxyd(8)."""
    rc, out, err = run([PROXYD, "--help"])
    check(rc == 0, "proxyd --help: rc=%d %s" % (rc, err))
    options = set()
    for entry in help_entries(out, "Options"):
        options.update(o for o in re.findall(r"-{1,2}[A-Za-z][a-z0-9-]*", entry))
    check("--control" in options, "no options found in proxyd --help:\n" + out)
    documented = " ".join(tags(sections(read_page("proxyd.8"))["OPTIONS"]))
    missing = [o for o in sorted(options)
               if o not in ("-h", "--help")
               and not re.search(r"(?<![a-z0-9-])" + re.escape(o) + r"(?![a-z0-9-])",
                                 documented)]
    check(not missing, "proxyd options missing from OPTIONS in proxyd(8): %s" % missing)


# --- the sources no binary prints ------------------------------------------------------

def directive_table():
    with open(os.path.join(SOURCE_DIR, "grammar", "include", "proxycfg", "directives.def"),
              encoding="utf-8") as f:
        source = f.read()
    table = re.findall(r'^PROXYCFG_DIRECTIVE\(\w+, "(\w+)", \w+, \w+, \w+, (\w+),', source,
                       re.M)
    check(len(table) > 60, "only %d directives parsed from directives.def" % len(table))
    return table


def c_literals(text):
    """The bytes of a run of adjacent C string literals ("a\\n" "b")."""
    out = b""
    for inner in re.findall(r'"((?:[^"\\]|\\.)*)"', text):
        out += inner.encode("latin-1").decode("unicode_escape").encode("latin-1")
    return out


def rule_examples():
    """{code: trigger bytes or None} from grammar/include/proxycfg/rules.def."""
    with open(os.path.join(SOURCE_DIR, "grammar", "include", "proxycfg", "rules.def"),
              encoding="utf-8") as f:
        source = f.read()
    out = {}
    for row in re.split(r"\nPROXYCFG_RULE\(", source)[1:]:
        code = row[:5]
        m = re.search(r"\bEXAMPLE\((.*?),\s*// near miss", row, re.S)
        out[code] = c_literals(m.group(1)) if m else None
        check(m is not None or "NO_EXAMPLE(" in row, "%s: no EXAMPLE or NO_EXAMPLE" % code)
    check(len(out) > 50, "only %d rules parsed from rules.def" % len(out))
    return out


def test_directives_documented(tmp):
    """Each directive proxyd implements has its own paragraph in proxyd.cfg(5); the rest
    are named."""
    source = read_page("proxyd.cfg.5")
    parts = sections(source)
    headed = set()
    for heading in ("LEXICAL RULES", "SERVICE LINES", "DIRECTIVES"):
        lines = parts.get(heading, [])
        text = tags(lines) + [plain_line(l) for l in lines if l.startswith("\\fB")]
        for tag in text:
            headed.update(re.findall(r"[a-z0-9]+", tag))
    text = plain(source)
    missing, unnamed = [], []
    for name, support in directive_table():
        if support == "implemented" and name not in headed:
            missing.append(name)
        elif not re.search(r"(?<![\w-])" + name + r"(?![\w-])", text):
            unnamed.append(name)
    check(not missing, "implemented directives without their paragraph: %s" % missing)
    check(not unnamed, "directives proxyd.cfg(5) never names: %s" % unnamed)


def test_proxyd_8_signals_and_control_commands(tmp):
    """Every signal proxyd waits for and every control command has its paragraph."""
    with open(os.path.join(SOURCE_DIR, "proxyd", "main.cpp"), encoding="utf-8") as f:
        main = f.read()
    waited = re.search(r"for \(int s : \{([A-Z0-9, ]+)\}\) sigaddset", main)
    check(waited is not None, "signal list not found in proxyd/main.cpp")
    signals = [s.strip() for s in waited.group(1).split(",")]
    parts = sections(read_page("proxyd.8"))
    documented = " ".join(tags(parts["SIGNALS"]))
    missing = [s for s in signals if s not in documented]
    check(not missing, "signals without a paragraph in SIGNALS: %s" % missing)
    with open(os.path.join(SOURCE_DIR, "proxyd", "control", "commands.cpp"),
              encoding="utf-8") as f:
        commands = re.findall(r'^\s*\{"([a-z_-]+)", "', f.read(), re.M)
    check("status" in commands, "command table not found in proxyd/control/commands.cpp")
    control = [t.split()[0] for t in tags(parts["CONTROL PROTOCOL"]) if t]
    missing = [c for c in commands if c not in control]
    check(not missing, "control commands without a paragraph: %s" % missing)


def main():
    return script_main(globals(), __doc__, "proxyd-man-", ("PROXYCTL", "PROXYD", "SOURCE_DIR"),
                       skip=SkipTest, skip_code=SKIP, skip_word="skip")


if __name__ == "__main__":
    sys.exit(main())
