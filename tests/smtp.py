"""A real SMTP server for tests and bench/cluster.py: it keeps what it is sent."""

import socket
import threading
import time


class SMTPServer:
    """An SMTP server on loopback that waits `delay` seconds before its greeting (as a busy or
    distant server does), then takes every message."""

    def __init__(self, delay: float = 0):
        self.delay = delay
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received = []  # (recipients, message text)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                connection = self.listener.accept()[0]
            except OSError:
                return  # closed
            threading.Thread(target=self.talk, args=(connection,), daemon=True).start()

    def talk(self, connection):
        with connection, connection.makefile("rb") as lines:
            time.sleep(self.delay)
            connection.sendall(b"220 slow.example ESMTP\r\n")
            recipients = []
            for line in lines:
                command = line.decode().strip().upper()
                if command.startswith("RCPT TO:"):
                    recipients.append(line.decode().strip()[8:].strip("<> "))
                if command == "DATA":
                    connection.sendall(b"354 go ahead\r\n")
                    text = b"".join(iter(lines.readline, b".\r\n")).decode()
                    self.received.append((recipients, text))
                    recipients = []
                elif command == "QUIT":
                    connection.sendall(b"221 bye\r\n")
                    return
                connection.sendall(b"250 ok\r\n")

    def close(self):
        # shutdown() first: close() alone leaves the thread blocked in accept().
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
