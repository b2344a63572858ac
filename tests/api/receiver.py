"""A real HTTP server on 127.0.0.1 for webhooks to reach."""

import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(ThreadingHTTPServer):
    """An HTTP server that records each POST and answers with the next planned status,
    after an optional delay."""

    def __init__(self, statuses=(200,), delay=0.0):
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.statuses, self.delay, self.received = list(statuses), delay, []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/newsroom"


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        time.sleep(self.server.delay)
        status = (
            self.server.statuses.pop(0)
            if len(self.server.statuses) > 1
            else self.server.statuses[0]
        )
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass
