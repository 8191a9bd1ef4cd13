"""What a URL's host points at: one answer for the env lint, the probes and the config checks."""

import pytest

from lkdebug.core.host import is_local_host, is_loopback_host


@pytest.mark.parametrize("name", ["localhost", "LOCALHOST", "localhost.localdomain", "app.localhost",
                                  "127.0.0.1", "127.8.9.1", "[::1]", "::1", "0.0.0.0"])
def test_names_for_this_machine(name):
    assert is_loopback_host(name) and is_local_host(name)


@pytest.mark.parametrize("name", ["192.168.1.20", "10.0.0.5", "livekit", "nas.local", "box.lan",
                                  "host.docker.internal", "svc.internal", "169.254.1.1"])
def test_local_network_but_not_this_machine(name):
    assert is_local_host(name) and not is_loopback_host(name)


@pytest.mark.parametrize("name", ["example.livekit.cloud", "8.8.8.8", "lk.example.com", ""])
def test_remote(name):
    assert not is_local_host(name) and not is_loopback_host(name)
