"""A real proxyd process for the Python tests that drive it through its control socket
(tests/cli/json_schema_test.py, tests/cli/access_levels_test.py).
"""
import socket
import subprocess
import time


_reserved = []


def free_port():
    """A port no other test is handed while this process runs: the socket stays bound
    (SO_REUSEADDR, not listening) on the wildcard address, and proxyd, which binds with
    SO_REUSEADDR too, can still listen on it (Linux lets such sockets share a port as long
    as at most one of them listens)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 0))
    _reserved.append(s)
    return s.getsockname()[1]


class RealProxyd:
    """proxyd with `config_text` in TMP/proxyd.cfg and its control socket at TMP/c.sock,
    stdout and stderr in TMP/proxyd.log; ready once `answers(socket_path)` is true (up to
    20 s). A context manager: leaving it stops the daemon."""

    def __init__(self, proxyd, tmp, config_text, answers, options=()):
        self.config = f"{tmp}/proxyd.cfg"
        with open(self.config, "w") as f:
            f.write(config_text)
        self.socket = f"{tmp}/c.sock"
        self.log_path = f"{tmp}/proxyd.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([proxyd, "--workers", "1", "--control", self.socket,
                                      *options, self.config],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.proc.poll() is None:
            if answers(self.socket):
                return
            time.sleep(0.1)
        self.stop()
        raise AssertionError("proxyd did not answer on its control socket:\n" + self.output())

    def output(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def wait_for_output(self, text, timeout=5):
        """True once `text` is in the daemon's output, false after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            time.sleep(0.05)
        return False

    def request_line(self, line):
        """One raw request line on a new connection; the reply line as text."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(self.socket)
            try:
                s.sendall(line.encode())
            except OSError:  # refused before the whole request was sent: read the reply
                pass
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return data.decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
