import threading

import pytest

from tests.api.receiver import Receiver


@pytest.fixture
def receiver():
    """Start a receiver; `receiver(statuses, delay)` makes one that answers otherwise."""
    servers = []

    def start(statuses=(200,), delay=0.0):
        server = Receiver(statuses, delay)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
