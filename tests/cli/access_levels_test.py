#!/usr/bin/env python3
"""Access levels on proxyd's control socket, driven with the real proxyctl run as other
users: members of --control-group may read (status, sessions, diff, reload --dry-run),
members of --control-admin-group may also change what runs (reload, kill), and anyone
else is refused. Needs root: each test creates throwaway system users and groups and
removes them afterwards; without root every test is skipped (exit 77).

Usage: access_levels_test.py PROXYCTL PROXYD TEST_NAME   (TEST_NAME "all" runs every test)
"""
import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from real_proxyd import RealProxyd, free_port  # noqa: E402
from script_tests import Result, check, script_main  # noqa: E402

PROXYCTL = ""
PROXYD = ""
SKIP = 77


class Skip(Exception):
    pass


class Accounts:
    """System groups `read` and `admin`, and users `reader` (in read), `admin` (in admin)
    and `stranger` (in neither), with names unique to this run."""

    def __init__(self):
        if os.geteuid() != 0:
            raise Skip("needs root to create users and groups")
        if not shutil.which("useradd") or not shutil.which("groupadd"):
            raise Skip("useradd/groupadd not installed")
        tag = "%x" % (os.getpid() & 0xFFFFF)
        self.groups = {"read": "pxr" + tag, "admin": "pxa" + tag}
        self.users = {"reader": "pxur" + tag, "admin": "pxua" + tag, "stranger": "pxus" + tag}
        self.made_users, self.made_groups = [], []
        try:
            for g in self.groups.values():
                subprocess.run(["groupadd", "--system", g], check=True, capture_output=True)
                self.made_groups.append(g)
            for who, name in self.users.items():
                extra = {"reader": ["-G", self.groups["read"]],
                         "admin": ["-G", self.groups["admin"]]}.get(who, [])
                subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                                "/usr/sbin/nologin", *extra, name], check=True,
                               capture_output=True)
                self.made_users.append(name)
        except subprocess.CalledProcessError as e:
            self.remove()
            raise Skip("cannot create test accounts: %s" % e.stderr.decode(errors="replace"))

    def uid(self, who):
        return pwd.getpwnam(self.users[who]).pw_uid

    def remove(self):
        for name in self.made_users:
            subprocess.run(["userdel", name], capture_output=True)
        for name in self.made_groups:
            subprocess.run(["groupdel", name], capture_output=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def proxyctl(*args, as_user=None, timeout=20):
    """The real proxyctl, as `as_user` (a user name) with that user's groups."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "PROXYCTL_SOCKET", "PROXYCTL_TIMEOUT")}
    kwargs = {}
    if as_user:
        pw = pwd.getpwnam(as_user)
        groups = [g.gr_gid for g in grp.getgrall() if as_user in g.gr_mem]
        kwargs = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": groups}
        env["HOME"] = "/"
    proc = subprocess.run([PROXYCTL, *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd="/", **kwargs)
    check(proc.returncode >= 0, "proxyctl died of a signal", proc.stderr)
    return Result(proc)


class Daemon(RealProxyd):
    """A real proxyd as root with a control socket the test accounts can reach."""

    def __init__(self, tmp, *options):
        # The accounts must be able to reach the socket: the directory is searchable.
        os.chmod(tmp, 0o711)
        super().__init__(PROXYD, tmp, "auth none\nallow *\nforce\nsocks -i127.0.0.1 -p%d\n"
                         % free_port(), lambda path: proxyctl("status", "--socket", path).rc == 0,
                         options)


def test_read_group_reads_and_is_denied_changes(tmp):
    with Accounts() as a, Daemon(tmp, "--control-group", a.groups["read"],
                                 "--control-admin-group", a.groups["admin"]) as d:
        reader = a.users["reader"]
        for args in (["status"], ["sessions"], ["diff"], ["reload", "--dry-run"]):
            r = proxyctl(*args, "--socket", d.socket, as_user=reader)
            check(r.rc in (0, 1) and "needs the admin level" not in r.err
                  and "may not use" not in r.err, "read level runs %s" % args, r)
        r = proxyctl("reload", "--socket", d.socket, as_user=reader)
        check(r.rc != 0 and "'reload' needs the admin level" in r.err
              and "uid %d has the read level" % a.uid("reader") in r.err, "reload denied", r)
        check(d.wait_for_output("proxyd: control: denied reload to uid %d pid " % a.uid("reader")),
              "denial logged with uid and pid", d.output())
        r = proxyctl("kill", "1", "--socket", d.socket, as_user=reader)
        check(r.rc != 0 and "'kill' needs the admin level" in r.err, "kill denied", r)
        r = proxyctl("reload", "--json", "--socket", d.socket, as_user=reader)
        doc = json.loads(r.out)
        check(doc["ok"] is False and doc["error"]["code"] == "forbidden", "JSON envelope", r)
        # The denied reload changed nothing: the generation is still the first.
        status = json.loads(proxyctl("status", "--json", "--socket", d.socket).out)
        check(status["result"]["generation"] == 1, "no reload happened", status)


def test_admin_group_and_root_change_what_runs(tmp):
    with Accounts() as a, Daemon(tmp, "--control-group", a.groups["read"],
                                 "--control-admin-group", a.groups["admin"]) as d:
        r = proxyctl("reload", "--socket", d.socket, as_user=a.users["admin"])
        check(r.rc == 0, "admin group reloads", r)
        r = proxyctl("kill", "999", "--socket", d.socket, as_user=a.users["admin"])
        check("needs the admin level" not in r.err, "admin group may kill", r)
        r = proxyctl("reload", "--socket", d.socket)
        check(r.rc == 0, "root reloads", r)
        status = json.loads(proxyctl("status", "--json", "--socket", d.socket).out)
        check(status["result"]["generation"] == 3, "two reloads applied", status)


def test_stranger_is_refused_at_any_level(tmp):
    with Accounts() as a, Daemon(tmp, "--control-group", a.groups["read"],
                                 "--control-admin-group", a.groups["admin"]) as d:
        r = proxyctl("status", "--socket", d.socket, as_user=a.users["stranger"])
        check(r.rc != 0 and "uid %d may not use this control socket" % a.uid("stranger") in r.err
              and a.groups["read"] in r.err and a.groups["admin"] in r.err,
              "refusal names the groups", r)
        check(d.wait_for_output("proxyd: control: refused uid %d" % a.uid("stranger")),
              "refusal logged", d.output())
        # Two different groups: the file is open to everyone and the peer check decides.
        mode = stat.S_IMODE(os.stat(d.socket).st_mode)
        check(mode == 0o666, "socket mode %o with two groups" % mode)


def test_one_group_keeps_the_socket_to_that_group(tmp):
    with Accounts() as a, Daemon(tmp, "--control-group", a.groups["read"]) as d:
        st = os.stat(d.socket)
        check(stat.S_IMODE(st.st_mode) == 0o660
              and st.st_gid == grp.getgrnam(a.groups["read"]).gr_gid, "0660, the read group")
        r = proxyctl("status", "--socket", d.socket, as_user=a.users["reader"])
        check(r.rc == 0, "reader reads", r)
        r = proxyctl("reload", "--socket", d.socket, as_user=a.users["reader"])
        check(r.rc != 0 and "needs the admin level" in r.err, "reader cannot reload", r)
        # Not in the group, so the file's mode already keeps it out.
        r = proxyctl("status", "--socket", d.socket, as_user=a.users["admin"])
        check(r.rc == 3 and "Permission denied" in r.err and "--control-group" in r.err
              and "is proxyd running?" not in r.err, "a user outside the group cannot connect", r)


def test_help_names_each_commands_level(tmp):
    with Daemon(tmp) as d:
        data = d.request_line('{"command": "help"}\n')
        levels = {c["name"]: c["level"] for c in json.loads(data)["result"]["commands"]}
        check(levels == {"status": "read", "reload": "admin", "sessions": "read",
                         "reloads": "read", "diff": "read", "kill": "admin",
                         "reopen-logs": "admin", "metrics": "read", "explain": "read",
                         "help": "read"}, levels)


def main():
    return script_main(globals(), __doc__, "proxyd-levels-", ("PROXYCTL", "PROXYD"), skip=Skip,
                       skip_code=SKIP)


if __name__ == "__main__":
    sys.exit(main())
