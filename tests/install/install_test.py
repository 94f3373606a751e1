#!/usr/bin/env python3
"""Checks what `cmake --install` and `cpack -G DEB` put on a machine, the pre-commit hook,
and which packages scripts/install-deps.sh asks for.

Usage: install_test.py CMAKE CPACK BUILD_DIR SOURCE_DIR PROXYCTL TEST_NAME   ("all": every test)

Each test_* function is one ctest test (tests/install/CMakeLists.txt lists them) and works
in its own temporary directory: the install prefix, the CPack build directory and the
files the hook is run on all live there.
Exit status 77: a tool the test needs (systemd-analyze, dpkg-deb, lintian) is not installed.
"""
import glob
import gzip
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_tests import check, read, script_main  # noqa: E402

CMAKE = CPACK = BUILD_DIR = SOURCE_DIR = PROXYCTL = ""
SKIP = 77

# Source file -> where it is installed, relative to the prefix.
COMPLETIONS = {
    "completions/proxyctl.bash": "share/bash-completion/completions/proxyctl",
    "completions/_proxyctl": "share/zsh/vendor-completions/_proxyctl",
    "completions/proxyctl.fish": "share/fish/vendor_completions.d/proxyctl.fish",
}
UNIT = "lib/systemd/system/proxyd.service"
LOGROTATE = "etc/logrotate.d/proxyd"
EXAMPLE = "share/doc/proxyctl/examples/proxyd.cfg"
PACKAGES = ("proxyctl", "proxyd")
# Where each package's files come from: man sections 1 and 5 go with proxyctl, 8 with proxyd.
PROXYCTL_FILES = ["bin/proxyctl", EXAMPLE] + list(COMPLETIONS.values())
PROXYD_FILES = ["sbin/proxyd", UNIT]


class Skip(Exception):
    pass


def run(args, timeout=60, **kwargs):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, **kwargs)
    r.detail = "$ %s\nrc=%d\n--- stdout\n%s\n--- stderr\n%s" % (
        " ".join(args), r.returncode, r.stdout[-4000:], r.stderr[-4000:])
    return r


def need(tool):
    if shutil.which(tool) is None:
        raise Skip("%s is not installed" % tool)


def man_pages(sections="158"):
    """Source man page -> installed path (gzipped): every man/*.1, *.5 and *.8 there is."""
    pages = {}
    for section in sections:
        for page in glob.glob(os.path.join(SOURCE_DIR, "man", "*." + section)):
            pages[page] = "share/man/man%s/%s.gz" % (section, os.path.basename(page))
    return pages


def read_gzip(path):
    """The text of a gzip file that `gzip -n` wrote: no file name, no timestamp."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:2] == b"\x1f\x8b", "%s is gzipped" % path)
    flags, mtime = data[3], int.from_bytes(data[4:8], "little")
    check(flags & 0x08 == 0 and mtime == 0, "%s has no name or timestamp (gzip -n)" % path)
    return gzip.decompress(data).decode()


def doc_files(package):
    """A package's copyright, Debian changelog and lintian overrides; for proxyctl also the
    rule pages (docs/rules), which SARIF's helpUri points at by default."""
    files = ["share/doc/%s/copyright" % package, "share/doc/%s/changelog.Debian.gz" % package,
             "share/lintian/overrides/" + package]
    if package == "proxyctl":
        files += ["share/doc/proxyctl/rules/" + os.path.basename(page)
                  for page in glob.glob(os.path.join(SOURCE_DIR, "docs", "rules", "*.md"))]
    return files


def install(tmp):
    prefix = os.path.join(tmp, "prefix")
    r = run([CMAKE, "--install", BUILD_DIR, "--prefix", prefix])
    check(r.returncode == 0, "cmake --install succeeds", r.detail)
    return prefix


def unit_settings(text):
    """Key -> list of values of a unit file, comments and section headers left out."""
    settings = {}
    for line in text.splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def test_installs_every_file(tmp):
    """Binaries that run from the prefix, man pages, completions, unit, logrotate, example."""
    prefix = install(tmp)
    for name, rel in (("proxyctl", "bin/proxyctl"), ("proxyd", "sbin/proxyd")):
        path = os.path.join(prefix, rel)
        check(os.access(path, os.X_OK), "%s is installed executable" % rel)
        r = run([path, "--version"], timeout=10)
        check(r.returncode == 0 and re.fullmatch(name + r" \d+\.\d+\.\d+\n", r.stdout),
              "%s --version runs from the prefix" % rel, r.detail)
    pages = man_pages()
    check(len(pages) >= 1, "the source tree has man pages")
    for source, rel in pages.items():
        check(read_gzip(os.path.join(prefix, rel)) == read(source), "%s is installed" % rel)
    copyright_text = read(os.path.join(SOURCE_DIR, "contrib", "deb", "copyright"))
    for package in PACKAGES:
        copyright_file, changelog, overrides = (os.path.join(prefix, rel)
                                                for rel in doc_files(package)[:3])
        check(read(overrides) == read(os.path.join(SOURCE_DIR, "contrib", "deb", "lintian",
                                                   package)), "%s's lintian overrides" % package)
        check(read(copyright_file) == copyright_text, "%s's copyright file" % package)
        for rel in doc_files(package)[3:]:
            page = os.path.join(SOURCE_DIR, "docs", "rules", os.path.basename(rel))
            check(read(os.path.join(prefix, rel)) == read(page), "%s is installed" % rel)
        check(re.match(r"proxyctl \(\d+\.\d+\.\d+-1\) unstable; urgency=medium\n",
                       read_gzip(changelog)), "%s's Debian changelog" % package)
    for source, rel in COMPLETIONS.items():
        if os.path.exists(os.path.join(SOURCE_DIR, source)):
            check(read(os.path.join(prefix, rel)) == read(os.path.join(SOURCE_DIR, source)),
                  "%s is installed as %s" % (source, rel))
    check(os.path.isfile(os.path.join(prefix, UNIT)), "the systemd unit is installed")
    check(read(os.path.join(prefix, LOGROTATE)) ==
          read(os.path.join(SOURCE_DIR, "contrib", "logrotate", "proxyd")),
          "the logrotate snippet is installed")
    check(read(os.path.join(prefix, EXAMPLE)) ==
          read(os.path.join(SOURCE_DIR, "examples", "proxyd.cfg")), "the example is installed")


def test_installs_the_proxyctl_component_alone(tmp):
    """`cmake --install --component proxyctl`: exactly the files of the proxyctl package."""
    prefix = os.path.join(tmp, "prefix")
    r = run([CMAKE, "--install", BUILD_DIR, "--component", "proxyctl", "--prefix", prefix])
    check(r.returncode == 0, "cmake --install --component proxyctl succeeds", r.detail)
    installed = {os.path.relpath(os.path.join(d, f), prefix)
                 for d, _, files in os.walk(prefix) for f in files}
    expected = set(PROXYCTL_FILES + list(man_pages("15").values()) + doc_files("proxyctl"))
    check(installed == expected, "the proxyctl files and nothing else",
          "missing: %s\nextra: %s" % (sorted(expected - installed), sorted(installed - expected)))


def test_unit_names_the_installed_paths(tmp):
    """The installed unit has every @...@ filled in with the prefix it was installed under."""
    prefix = install(tmp)
    text = read(os.path.join(prefix, UNIT))
    check(re.search(r"@[A-Za-z_]+@", text) is None, "no placeholder is left", text)
    s = unit_settings(text)
    proxyd, proxyctl = prefix + "/sbin/proxyd", prefix + "/bin/proxyctl"
    config = prefix + "/etc/proxyd/proxyd.cfg"
    check(s["Type"] == ["notify"], "Type=notify", text)
    check(s["ExecStartPre"] == ["%s --check %s" % (proxyd, config)], "ExecStartPre", text)
    check(s["ExecStart"] == ["%s --control /run/proxyd/proxyd.sock $PROXYD_OPTS %s"
                             % (proxyd, config)], "ExecStart", text)
    check(s["ExecReload"] == ["%s reload --socket /run/proxyd/proxyd.sock" % proxyctl],
          "ExecReload", text)
    check(s["RuntimeDirectory"] == ["proxyd"] and s["LogsDirectory"] == ["proxyd"],
          "the socket and log directories", text)
    check(s["CapabilityBoundingSet"] == ["CAP_NET_BIND_SERVICE"] and
          s["ProtectSystem"] == ["strict"] and s["NoNewPrivileges"] == ["yes"],
          "hardening", text)


def test_one_default_control_socket(tmp):
    """The root default both binaries print in --help is the socket of the unit, the man
    pages, the README, the Ansible role and the completions: a systemd host needs no
    --socket. No other /run/....sock path is named anywhere (but other users' default)."""
    prefix = install(tmp)
    defaults = set()
    for argv in ([prefix + "/sbin/proxyd", "--help"], [prefix + "/bin/proxyctl", "status", "--help"],
                 [prefix + "/bin/proxyctl", "check", "--help"]):
        r = run(argv, timeout=10)
        found = re.findall(r"(/run/\S+\.sock) for root", r.stdout)
        check(r.returncode == 0 and len(found) == 1, "%s names root's default" % argv, r.detail)
        defaults.add(found[0])
    check(len(defaults) == 1, "one default in both binaries: %s" % sorted(defaults))
    default = defaults.pop()
    s = unit_settings(read(os.path.join(prefix, UNIT)))
    check(re.search(r"--control (\S+)", s["ExecStart"][0]).group(1) == default,
          "the unit's proxyd --control is the default", s["ExecStart"])
    check(re.search(r"--socket (\S+)", s["ExecReload"][0]).group(1) == default,
          "the unit's proxyctl reload --socket is the default", s["ExecReload"])
    role = read(os.path.join(SOURCE_DIR, "contrib", "ansible", "roles", "proxyd", "defaults",
                             "main.yml"))
    check(re.search(r"^proxyd_control_socket: (\S+)$", role, re.M).group(1) == default,
          "the Ansible role's proxyd_control_socket is the default")
    documents = list(man_pages())
    documents += [os.path.join(SOURCE_DIR, "README.md"), os.path.join(prefix, UNIT)]
    documents += [os.path.join(SOURCE_DIR, c) for c in COMPLETIONS]
    documents += glob.glob(os.path.join(SOURCE_DIR, "contrib", "**", "*"), recursive=True)
    for path in documents:
        if not os.path.isfile(path):
            continue
        text = read(path).replace("\\-", "-")  # roff's \- is a plain '-' here
        # /run/user/UID/... is the other users' default (XDG_RUNTIME_DIR unset).
        others = sorted(set(re.findall(r"/run/(?!user/)[\w./-]*\.sock\b", text)) - {default})
        check(not others, "%s names another control socket: %s" % (path, others))
    check(default in read(os.path.join(SOURCE_DIR, "man", "proxyd.8")) and
          default in read(os.path.join(SOURCE_DIR, "man", "proxyctl.1")),
          "both man pages name the default")


def test_systemd_analyze_verifies_the_unit(tmp):
    """systemd-analyze accepts the installed unit; its man: links resolve in the prefix."""
    need("systemd-analyze")
    prefix = install(tmp)
    unit = os.path.join(prefix, UNIT)
    env = dict(os.environ, MANPATH=os.path.join(prefix, "share", "man"))
    r = run(["systemd-analyze", "verify", unit], env=env)
    check(r.returncode == 0 and r.stdout == "" and r.stderr == "",
          "the unit verifies without a message", r.detail)
    # The check is real: a binary that is not there is an error.
    broken = os.path.join(tmp, "proxyd.service")
    with open(broken, "w") as f:
        f.write(read(unit).replace(prefix + "/sbin/proxyd", prefix + "/sbin/missing"))
    r = run(["systemd-analyze", "verify", broken], env=env)
    check(r.returncode != 0 and "sbin/missing" in r.stderr, "a missing binary fails", r.detail)


def build_debs(tmp):
    """Runs cpack -G DEB into tmp; package name -> path of its .deb."""
    need("dpkg-deb")
    r = run([CPACK, "-G", "DEB", "--config", os.path.join(BUILD_DIR, "CPackConfig.cmake"),
             "-B", tmp], cwd=tmp, timeout=120)
    check(r.returncode == 0, "cpack succeeds", r.detail)
    debs = {os.path.basename(d).split("_")[0]: d for d in glob.glob(os.path.join(tmp, "*.deb"))}
    check(sorted(debs) == sorted(PACKAGES), "one .deb for proxyctl, one for proxyd", r.detail)
    return debs


def control_fields(deb):
    r = run(["dpkg-deb", "-f", deb])
    check(r.returncode == 0, "dpkg-deb -f", r.detail)
    fields, key = {}, None
    for line in r.stdout.splitlines():
        if line.startswith(" "):
            fields[key] += "\n" + line
        else:
            key, _, value = line.partition(": ")
            fields[key] = value
    return fields


def test_deb_contents(tmp):
    """Each .deb has its own files under /usr (and /etc), gzipped man pages, and the
    copyright and changelog.Debian.gz in its own /usr/share/doc directory."""
    debs = build_debs(tmp)
    wanted = {
        "proxyctl": PROXYCTL_FILES + list(man_pages("15").values()) + doc_files("proxyctl"),
        "proxyd": PROXYD_FILES + list(man_pages("8").values()) + doc_files("proxyd"),
    }
    contents = {}
    for package, deb in debs.items():
        r = run(["dpkg-deb", "-c", deb])
        check(r.returncode == 0, "dpkg-deb -c", r.detail)
        contents[package] = {line.split()[-1] for line in r.stdout.splitlines()
                             if not line.startswith("d")}
        expected = {"./usr/" + rel for rel in wanted[package]}
        if package == "proxyd":
            expected.add("./" + LOGROTATE)
        check(contents[package] == expected, "%s has exactly its files" % package,
              "missing: %s\nextra: %s" % (sorted(expected - contents[package]),
                                          sorted(contents[package] - expected)))
    # The packaged unit points at the packaged binaries; the snippet is a conffile.
    root = os.path.join(tmp, "root")
    r = run(["dpkg-deb", "-R", debs["proxyd"], root])
    check(r.returncode == 0, "dpkg-deb -R", r.detail)
    s = unit_settings(read(os.path.join(root, "usr", UNIT)))
    check(s["ExecStart"][0].startswith("/usr/sbin/proxyd ") and
          s["ExecStart"][0].endswith(" /etc/proxyd/proxyd.cfg") and
          s["ExecReload"][0].startswith("/usr/bin/proxyctl "), "unit paths in the package",
          str(s))
    check(read(os.path.join(root, "DEBIAN", "conffiles")).split() == ["/" + LOGROTATE],
          "the logrotate snippet is a conffile")
    read_gzip(os.path.join(root, "usr", "share", "man", "man8", "proxyd.8.gz"))


def test_deb_control_fields(tmp):
    """Package names, one version with a Debian revision, a maintainer, synopses under 80
    characters, proxyd depending on its own proxyctl, and the libraries in Depends."""
    debs = build_debs(tmp)
    fields = {package: control_fields(deb) for package, deb in debs.items()}
    versions = {f["Version"] for f in fields.values()}
    check(len(versions) == 1 and re.fullmatch(r"\d+\.\d+\.\d+-1", next(iter(versions))),
          "one version with a Debian revision", str(versions))
    version = versions.pop()
    for package, f in fields.items():
        check(f["Package"] == package, "package name", str(f))
        check(f["Maintainer"].strip() != "", "maintainer", str(f))
        check(f["Section"] == "net" and f["Priority"] == "optional", "section, priority", str(f))
        synopsis, _, long_description = f["Description"].partition("\n")
        check(0 < len(synopsis) < 80 and not synopsis.endswith("."), "%s's synopsis: %r"
              % (package, synopsis))
        check(all(0 < len(line) <= 80 for line in long_description.splitlines()) and
              len(long_description.splitlines()) >= 3, "%s's long description" % package,
              f["Description"])
    depends = {package: {d.split()[0]: d for d in f["Depends"].split(", ")}
               for package, f in fields.items()}
    check(depends["proxyd"].get("proxyctl") == "proxyctl (= %s)" % version,
          "proxyd depends on the proxyctl of its version", fields["proxyd"]["Depends"])
    check("proxyd" not in depends["proxyctl"], "proxyctl stands alone",
          fields["proxyctl"]["Depends"])
    for lib in ("libc6", "libc-ares2", "libnettle8", "libcrypt1", "libstdc++6"):
        check(lib in depends["proxyd"], "proxyd Depends names " + lib, fields["proxyd"]["Depends"])
    for lib in ("libc6", "libnettle8", "libcrypt1"):
        check(lib in depends["proxyctl"], "proxyctl Depends names " + lib,
              fields["proxyctl"]["Depends"])


def test_deb_lintian(tmp):
    """lintian reports no error or warning on either .deb. The overrides the packages ship
    (contrib/deb/lintian/) say why each is there; every one must still be needed."""
    need("lintian")
    # lintian judges what would ship; the sanitized test run packages instrumented binaries.
    cache = read(os.path.join(BUILD_DIR, "CMakeCache.txt"))
    if re.search(r"^PROXY_SANITIZE:\w+=\S", cache, re.M):
        raise Skip("a sanitized build is not a release package")
    debs = build_debs(tmp)
    for package in PACKAGES:
        for line in read(os.path.join(SOURCE_DIR, "contrib", "deb", "lintian", package)).splitlines():
            if line.strip() and not line.startswith("#"):
                check(line.startswith(package + ": "), "an override names its package: " + line)
    r = run(["lintian", "--no-cfg", "--fail-on", "error,warning", "--display-level", ">=info",
             "--tag-display-limit", "0"] + [debs[p] for p in PACKAGES],
            timeout=240)
    tags = r.stdout.splitlines()
    check(r.returncode == 0 and not [t for t in tags if t.startswith(("E:", "W:"))],
          "lintian finds no error or warning", r.detail)
    check(not [t for t in tags if "unused-override" in t or "mismatched-override" in t],
          "every override is used", r.detail)


def test_install_deps_sets(tmp):
    """scripts/install-deps.sh asks for the build packages alone by default, adds the test
    suite's with `test` and clang's with `clang`, in any combination; anything else is a
    usage error. A stand-in dpkg-query (first on PATH) records the names and reports each
    installed, so nothing is installed."""
    bin_dir = os.path.join(tmp, "bin")
    os.mkdir(bin_dir)
    log = os.path.join(tmp, "asked")
    fake = os.path.join(bin_dir, "dpkg-query")
    with open(fake, "w") as f:
        f.write('#!/bin/sh\nfor a; do last=$a; done\necho "$last" >>"%s"\n'
                'printf "install ok installed"\n' % log)
    os.chmod(fake, 0o755)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    script = os.path.join(SOURCE_DIR, "scripts", "install-deps.sh")

    def asked(*args):
        if os.path.exists(log):
            os.remove(log)
        r = run([script, *args], env=env)
        check(r.returncode == 0, "install-deps.sh %s" % " ".join(args), r.detail)
        return set(read(log).split())

    build = asked()
    for p in ("cmake", "tao-pegtl-dev", "libcli11-dev", "nlohmann-json3-dev",
              "libtomlplusplus-dev", "libc-ares-dev", "nettle-dev", "libcrypt-dev"):
        check(p in build, "building needs " + p, str(sorted(build)))
    for p in ("catch2", "zsh", "fish", "ansible-core", "chromium", "prometheus", "lintian",
              "clang-16"):
        check(p not in build, "building does not need " + p, str(sorted(build)))
    test = asked("test")
    for p in ("catch2", "zsh", "fish", "ansible-core", "chromium", "prometheus", "lintian",
              "pre-commit", "python3-jsonschema"):
        check(p in test, "the tests need " + p, str(sorted(test)))
    check(build < test and "clang-16" not in test, "test adds to the build set")
    clang = asked("clang")
    check(build < clang and "clang-16" in clang and "catch2" not in clang, "clang adds clang 16")
    check(asked("test", "clang") == test | clang and asked("clang", "test") == test | clang,
          "test and clang combine")
    r = run([script, "tests"], env=env)
    check(r.returncode == 2 and "usage" in r.stderr, "an unknown set is a usage error", r.detail)


def test_pre_commit_hook(tmp):
    """.pre-commit-hooks.yaml: a proxyctl-check hook whose entry exits 0 on a clean file and
    1 on a file with findings, and whose pattern picks proxy configs, not setup.cfg."""
    text = read(os.path.join(SOURCE_DIR, ".pre-commit-hooks.yaml"))
    try:
        import yaml
        hooks = yaml.safe_load(text)
    except ImportError:  # python3-yaml absent: read the few flat keys by hand
        hooks = [dict(re.findall(r"^\s*-?\s*(id|entry|language|files): '?(.*?)'?$", text, re.M))]
    check(len(hooks) == 1, "one hook", text)
    hook = hooks[0]
    check(hook["id"] == "proxyctl-check" and hook["language"] == "system" and
          hook["entry"] == "proxyctl check", "id, language and entry", text)
    pattern = re.compile(hook["files"])
    for path in ("proxyd.cfg", "etc/3proxy/3proxy.cfg", "configs/edge-proxyd.cfg",
                 "proxyd/site-a.cfg"):
        check(pattern.search(path), "the hook runs on " + path)
    for path in ("setup.cfg", "docs/conf.cfg", "proxyd.cfg.j2"):
        check(not pattern.search(path), "the hook leaves %s alone" % path)
    # pre-commit runs the entry with the staged file names appended.
    entry = hook["entry"].split()
    check(entry[0] == "proxyctl", "the entry runs proxyctl")
    with open(os.path.join(tmp, "proxyd.cfg"), "w") as f:
        f.write("users alice:CL:wonderland\nauth strong\nallow alice\ndeny *\n"
                "socks -i127.0.0.1 -p1080\n")
    with open(os.path.join(tmp, "3proxy.cfg"), "w") as f:
        f.write("socks -i127.0.0.1 -p1080\nfrobnicate now\n")
    r = run([PROXYCTL] + entry[1:] + ["proxyd.cfg"], cwd=tmp)
    check(r.returncode == 0 and r.stdout == "", "a clean file passes", r.detail)
    r = run([PROXYCTL] + entry[1:] + ["proxyd.cfg", "3proxy.cfg"], cwd=tmp)
    check(r.returncode == 1 and "3proxy.cfg:2:" in r.stdout and "[PX001]" in r.stdout,
          "a file with an error fails the commit and is named", r.detail)


def test_pre_commit_try_repo(tmp):
    """pre-commit itself runs the hook from this repository (`pre-commit try-repo`, which
    clones it, uncommitted changes included) on a repository of configurations, with the
    proxyctl under test first on PATH: a finding fails, a clean file passes, other .cfg
    files are left alone."""
    need("pre-commit")
    need("git")
    if not os.path.exists(os.path.join(SOURCE_DIR, ".git")):
        raise Skip("the source tree is not a git repository")
    bin_dir = os.path.join(tmp, "bin")
    os.mkdir(bin_dir)
    os.symlink(PROXYCTL, os.path.join(bin_dir, "proxyctl"))
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
               PRE_COMMIT_HOME=os.path.join(tmp, "cache"), GIT_CONFIG_NOSYSTEM="1",
               HOME=tmp, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@localhost",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@localhost")
    repo = os.path.join(tmp, "configs")
    r = run(["git", "init", "-q", repo], env=env)
    check(r.returncode == 0, "git init", r.detail)
    with open(os.path.join(repo, "proxyd.cfg"), "w") as f:
        f.write("socks -i127.0.0.1 -p1080\n")
    with open(os.path.join(repo, "3proxy.cfg"), "w") as f:
        f.write("socks -i127.0.0.1 -p1080\nfrobnicate now\n")
    with open(os.path.join(repo, "setup.cfg"), "w") as f:
        f.write("frobnicate now\n")
    r = run(["git", "add", "."], cwd=repo, env=env)
    check(r.returncode == 0, "git add", r.detail)
    try_repo = ["pre-commit", "try-repo", SOURCE_DIR, "proxyctl-check", "--files"]
    r = run(try_repo + ["proxyd.cfg", "setup.cfg"], cwd=repo, env=env, timeout=120)
    check(r.returncode == 0 and re.search(r"proxyctl check\.+Passed", r.stdout),
          "a clean configuration passes (setup.cfg is not checked)", r.detail)
    r = run(try_repo + ["proxyd.cfg", "3proxy.cfg"], cwd=repo, env=env, timeout=120)
    check(r.returncode == 1 and re.search(r"proxyctl check\.+Failed", r.stdout) and
          "3proxy.cfg:2:1: error:" in r.stdout and "[PX001]" in r.stdout,
          "a finding fails the hook and is shown", r.detail)


def main():
    return script_main(globals(), __doc__, "proxyctl-install-",
                       ("CMAKE", "CPACK", "BUILD_DIR", "SOURCE_DIR", "PROXYCTL"), skip=Skip,
                       skip_code=SKIP)


if __name__ == "__main__":
    sys.exit(main())
