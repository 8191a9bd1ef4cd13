"""Debian's coturn on free 127.0.0.1 ports for the TURN and media tests (long-term credentials, TLS via trustme)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time

import pytest
import trustme

from lkdebug.demo.server import free_port

USER, PASSWORD, REALM = "lkuser", "lkpass", "lkdebug.test"
TURN_NAME = "turn.lkdebug.test"  # the certificate's name; a fake resolver maps it to 127.0.0.1


def _stun_answers(port: int) -> bool:
    """One STUN Binding request over UDP: the listener is up when it is answered."""
    from aioice import stun

    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        try:
            sock.sendto(bytes(request), ("127.0.0.1", port))
            sock.recvfrom(2048)
            return True
        except OSError:
            return False


def _tcp_answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


class Coturn:
    """turnserver on free 127.0.0.1 ports: UDP+TCP on `port`, TLS on `tls_port`, user lkuser:lkpass."""

    def __init__(self, folder, *extra: str):
        self.exe = shutil.which("turnserver")
        if self.exe is None:
            pytest.fail("coturn's turnserver is not installed (.ci/run installs it: apt-get install coturn)")
        self.folder = folder
        self.ca = trustme.CA()
        cert = self.ca.issue_cert(TURN_NAME)
        cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "turn.pem"))
        self.port, self.tls_port = free_port(), free_port()
        self.extra = extra
        self.process: subprocess.Popen | None = None

    def start(self) -> Coturn:
        self.process = subprocess.Popen([
            self.exe, "-n", "--lt-cred-mech", "--user", f"{USER}:{PASSWORD}", "--realm", REALM,
            "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1", "--listening-port", str(self.port),
            "--tls-listening-port", str(self.tls_port), "--cert", str(self.folder / "turn.pem"), "--pkey", str(self.folder / "turn.pem"),
            "--no-dtls", "--no-rfc5780", "--no-cli", "--userdb", str(self.folder / "turndb"),
            "--pidfile", str(self.folder / "turn.pid"), "--log-file", str(self.folder / "turn.log"), "--simple-log",
            "--min-port", "49152", "--max-port", "65535", *self.extra,
        ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not (_stun_answers(self.port) and _tcp_answers(self.port) and _tcp_answers(self.tls_port)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"turnserver did not come up: {(self.folder / 'turn.log').read_text(errors='replace')[-2000:]}")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context
