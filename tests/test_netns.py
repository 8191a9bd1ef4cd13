"""The `netns` tests (LiveKit's SDK against the stand-in and coturn) in a network namespace of their own."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import warnings
from xml.etree import ElementTree

import pytest

from tests import netns


@pytest.mark.timeout(900)
def test_netns_tests_pass_inside_their_own_network_namespace(request, tmp_path):
    if netns.inside():
        pytest.skip("already inside the namespace: this test is what starts it")
    unshare, reason = netns.unshare()
    if unshare is None:
        pytest.skip(reason)
    # The marked tests this session selected (so -k and node ids narrow the inner run too), else all of them.
    selected = [item.nodeid for item in request.session.items if item.get_closest_marker("netns")]
    root = request.config.rootpath
    targets = selected or ["-m", "netns", str(root / "tests")]
    junit = tmp_path / "inner.xml"
    inner = subprocess.run(
        netns.command(unshare, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *targets),
        cwd=root, env={**os.environ, netns.ENV: "1"}, capture_output=True, text=True, timeout=840)
    output = f"inner pytest (exit {inner.returncode}):\n{inner.stdout}\n{inner.stderr}"
    if inner.returncode != 0:
        pytest.fail(output, pytrace=False)
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    ran, skipped = int(suite.get("tests")), int(suite.get("skipped"))
    assert ran > skipped, output
    if skipped:
        warnings.warn(f"{skipped} of the {ran} tests inside the namespace were skipped:\n{inner.stdout[-2000:]}")


@pytest.mark.netns
def test_the_namespace_holds_only_lo_and_the_veth_pair():
    assert {name for _, name in socket.if_nameindex()} == netns.LINKS
    links = json.loads(subprocess.run(["ip", "-j", "-4", "addr"], capture_output=True, text=True, check=True).stdout)
    assert {a["local"] for link in links for a in link["addr_info"]} == {"127.0.0.1", netns.ADDRESS}
    routes = json.loads(subprocess.run(["ip", "-j", "route"], capture_output=True, text=True, check=True).stdout)
    assert [route.get("gateway") for route in routes] == [None]  # the veth's own /24, no way out
