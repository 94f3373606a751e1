#!/usr/bin/env python3
"""Runs the Ansible role in contrib/ansible against a real proxyd on 127.0.0.1.

Usage: ansible_test.py PROXYCTL PROXYD SOURCE_DIR TEST_NAME   ("all" runs every test)

Each test_* function is one ctest test (tests/ansible/CMakeLists.txt lists them). It starts
proxyd with its configuration in TMP/etc/proxyd (which includes a relative users file, so
validate only passes with --root) and a control socket in TMP, then runs the rolling
playbook contrib/ansible/site.yml with ansible-playbook on localhost (connection: local).
Ansible's own files (temp dirs, facts, retry files) stay in TMP too.
Exit status 77: ansible-playbook is not installed (ctest reports a skip).

Nothing here guesses how long a step takes: proxyd's start is awaited on its READY=1
notification (or its exit), the playbook and proxyctl run to completion, and every wait
has a bound (LIMIT, PLAY_LIMIT) far above what a loaded machine needs, so a slow run is
slow, not red.
"""
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from real_proxyd import free_port  # noqa: E402
from script_tests import check, read, script_main  # noqa: E402

PROXYCTL = ""
PROXYD = ""
SOURCE_DIR = ""
SKIP = 77

USERS = "users alice:CL:wonderland bob:CL:builder\n"

# Bounds for a hang, not estimates: proxyd's start and a proxyctl request take well under
# a second, a playbook run 5 to 50 s on a busy 2-core machine, but a starved run has
# taken over 240 s. The tests' ctest TIMEOUT (tests/ansible/CMakeLists.txt) allows for two
# playbook runs at PLAY_LIMIT, so a hang still ends here, where proxyd is stopped.
LIMIT = 120
PLAY_LIMIT = 600


def config(*ports, extra=""):
    """A clean configuration: the users come from the relative include, one socks per port."""
    services = "".join("socks -i127.0.0.1 -p%d\n" % p for p in ports)
    return "include users.cfg\nauth strong\nallow alice,bob\ndeny *\n" + extra + services


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


class Proxyd:
    """A real proxyd serving TMP/etc/proxyd/proxyd.cfg with its control socket in TMP."""

    def __init__(self, tmp, config_path):
        self.socket = os.path.join(tmp, "proxyd.sock")
        self.log = open(os.path.join(tmp, "proxyd.out"), "w+")
        # proxyd tells a systemd-style notification socket READY=1 once its listeners are
        # bound and its control socket answers: the start is over when that arrives.
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(os.path.join(tmp, "notify.sock"))
        self.proc = subprocess.Popen(
            [PROXYD, "--workers", "1", "--control", self.socket, config_path],
            stdout=self.log, stderr=subprocess.STDOUT,
            env=dict(os.environ, NOTIFY_SOCKET=self.notify.getsockname()))
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def wait_ready(self):
        """Blocks until proxyd says READY=1 or exits (its pidfd becomes readable)."""
        exited = os.pidfd_open(self.proc.pid)
        try:
            deadline = time.monotonic() + LIMIT
            while True:
                left = deadline - time.monotonic()
                check(left > 0, "proxyd sent no READY=1 within %d s" % LIMIT, self.output())
                readable, _, _ = select.select([self.notify, exited], [], [], left)
                if self.notify in readable:
                    if "READY=1" in self.notify.recv(4096).decode().split("\n"):
                        return
                elif exited in readable:
                    raise AssertionError("proxyd exited at start (status %s)\n%s"
                                         % (self.proc.wait(), self.output()))
        finally:
            os.close(exited)

    def status(self):
        """proxyctl status --json; an answer is required (the daemon is up once ready)."""
        r = subprocess.run([PROXYCTL, "status", "--json", "--socket", self.socket],
                           capture_output=True, text=True, timeout=LIMIT + 30,
                           env=dict(os.environ, PROXYCTL_TIMEOUT=str(LIMIT)))
        check(r.returncode == 0, "proxyctl status answers", r.stderr + self.output())
        return json.loads(r.stdout)["result"]

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=LIMIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=LIMIT)
        self.notify.close()
        self.log.close()


class Setup:
    """The live configuration, proxyd, and a playbook run against them."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.etc = os.path.join(tmp, "etc", "proxyd")
        os.makedirs(self.etc)
        write(os.path.join(self.etc, "users.cfg"), USERS)
        self.ports = [free_port(), free_port()]
        self.port = self.ports[0]
        self.config_path = write(os.path.join(self.etc, "proxyd.cfg"), config(self.port))
        self.proxyd = Proxyd(tmp, self.config_path)

    def close(self):
        self.proxyd.stop()

    def play(self, template_text):
        """Runs contrib/ansible/site.yml for localhost with the template; returns (rc, output)."""
        tmp = self.tmp
        template = write(os.path.join(tmp, "proxyd.cfg.j2"), template_text)
        inventory = write(os.path.join(tmp, "inventory"),
                          "[proxies]\nlocalhost ansible_connection=local "
                          "ansible_python_interpreter=%s\n" % sys.executable)
        variables = write(os.path.join(tmp, "vars.json"), json.dumps({
            "proxyd_config_path": self.config_path,
            "proxyd_config_template": template,
            "proxyd_config_owner": str(os.getuid()),
            "proxyd_config_group": str(os.getgid()),
            "proxyd_proxyctl": PROXYCTL,
            "proxyd_control_socket": self.proxyd.socket,
            "proxyd_reload_timeout": LIMIT,
        }))
        home = os.path.join(tmp, "home")
        os.makedirs(home, exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C.UTF-8",  # ansible refuses other encodings
            "HOME": home,
            "XDG_RUNTIME_DIR": os.path.join(tmp, "xdg"),
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
            "ANSIBLE_HOME": os.path.join(home, ".ansible"),
            "ANSIBLE_CONFIG": write(os.path.join(tmp, "ansible.cfg"), "[defaults]\n"),
            "ANSIBLE_LOCAL_TEMP": os.path.join(tmp, "ansible-local"),
            "ANSIBLE_REMOTE_TEMP": os.path.join(tmp, "ansible-remote"),
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_DEPRECATION_WARNINGS": "false",
            # proxyctl check (validate) asks no other daemon than this one.
            "PROXYCTL_SOCKET": self.proxyd.socket,
            "PROXYCTL_TIMEOUT": str(LIMIT),
        }
        playbook = os.path.join(SOURCE_DIR, "contrib", "ansible", "site.yml")
        r = subprocess.run(["ansible-playbook", "-i", inventory, "-e", "@" + variables, playbook],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                           cwd=tmp, timeout=PLAY_LIMIT)
        return r.returncode, r.stdout


def scenario(fn):
    def run(tmp):
        setup = Setup(tmp)
        try:
            before = setup.proxyd.status()
            check(before["generation"] == 1, "generation 1 at start", json.dumps(before))
            fn(setup)
            check(setup.proxyd.proc.poll() is None, "proxyd still runs", setup.proxyd.output())
        except AssertionError as e:
            raise AssertionError("%s\n--- proxyd\n%s" % (e, setup.proxyd.output()[-3000:]))
        finally:
            setup.close()
    run.__doc__ = fn.__doc__
    return run


@scenario
def test_broken_template_is_rejected_by_validate(setup):
    """A template with an error never reaches the live file; proxyd is not reloaded."""
    live = read(setup.config_path)
    rc, out = setup.play(config(setup.port) + "frobnicate now\n")
    check(rc == 2, "the play fails for the host (ansible-playbook exit 2)", out)
    check("failed to validate" in out and "[PX001]" in out,
          "the validate failure shows proxyctl check's diagnostic", out)
    check("Reload proxyd" not in out, "no reload was attempted", out)
    check(read(setup.config_path) == live, "the live file is unchanged")
    status = setup.proxyd.status()
    check(status["generation"] == 1 and status.get("last_reload") is None,
          "proxyd still serves generation 1 and saw no reload", json.dumps(status))


@scenario
def test_good_template_is_written_and_reloaded(setup):
    """A template check accepts replaces the file, and the reload serves it as generation 2."""
    second = setup.ports[1]
    wanted = config(setup.port, second)
    rc, out = setup.play(wanted)
    check(rc == 0, "the play succeeds", out)
    check(read(setup.config_path) == wanted, "the live file is the rendered template")
    status = setup.proxyd.status()
    check(status["generation"] == 2, "proxyd serves generation 2", json.dumps(status))
    record = status["last_reload"]
    check(record["result"] == "ok" and record["trigger"] == "control",
          "the reload came through the control socket", json.dumps(record))
    check(record["listeners"] == {"kept": 1, "opened": 1, "closed": 0},
          "the new service's listener was opened", json.dumps(record))
    check("generation 2" in out, "the playbook reports the generation now serving", out)
    # The new service really listens.
    with socket.create_connection(("127.0.0.1", second), timeout=5):
        pass
    # Nothing changed: a second run neither writes nor reloads.
    rc, out = setup.play(wanted)
    check(rc == 0 and "changed=0" in out, "the second run changes nothing", out)
    check(setup.proxyd.status()["generation"] == 2, "no second reload")


@scenario
def test_reload_refused_by_proxyd_fails_the_play(setup):
    """check passes, but proxyd cannot bind the new port: the reload and the play fail."""
    # A listening socket of another process: proxyd cannot share it.
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        wanted = config(setup.port, port)
        rc, out = setup.play(wanted)
        check(rc == 2, "the play fails for the host (ansible-playbook exit 2)", out)
        check("proxyd refused the new configuration" in out and
              "cannot listen for socks:127.0.0.1:%d: Address already in use" % port in out and
              "another process listens on 127.0.0.1:%d" % port in out,
              "the failure says proxyd refused it, and why", out)
        check("Reload took effect" not in out, "the play stops before its post_tasks", out)
    finally:
        taken.close()
    check(read(setup.config_path) == wanted, "the checked file was written")
    status = setup.proxyd.status()
    check(status["generation"] == 1, "proxyd keeps serving generation 1", json.dumps(status))
    check(status["last_reload"]["result"] == "failed", "the refused reload is recorded",
          json.dumps(status))


def need_ansible():
    if shutil.which("ansible-playbook") is None:
        print("SKIP: ansible-playbook is not installed (Debian package ansible-core)")
        return SKIP
    return None


def main():
    return script_main(globals(), __doc__, "proxyctl-ansible-",
                       ("PROXYCTL", "PROXYD", "SOURCE_DIR"), setup=need_ansible)


if __name__ == "__main__":
    sys.exit(main())
