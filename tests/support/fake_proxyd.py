"""A fake proxyd control socket for the tests that drive proxyctl's live commands.

It speaks the control protocol (control/include/proxycontrol/protocol.hpp): one JSON
request line in, one reply line out, and answers each command from a table of canned
replies while recording the requests it got. Import it with the tests/support directory on
sys.path (see tests/cli/control_test.py).
"""
import json
import socketserver
import threading
import time


class FakeProxyd:
    """A control socket answering from `replies`: command -> reply dict, a callable taking
    the request, the bytes to send verbatim, or None to never answer."""

    def __init__(self, path, replies):
        self.path = path
        self.replies = replies
        self.requests = []
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                line = self.rfile.readline()
                request = json.loads(line)
                fake.requests.append(request)
                reply = fake.replies.get(request.get("command"),
                                         {"ok": False, "error": {"code": "unknown_command",
                                                                 "message": "unknown command"}})
                if callable(reply):
                    reply = reply(request)
                if reply is None:
                    time.sleep(5)  # a daemon that never answers
                    return
                data = reply if isinstance(reply, bytes) else (json.dumps(reply) + "\n").encode()
                self.wfile.write(data)

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.server = Server(path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
