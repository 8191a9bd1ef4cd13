"""Tests marked `netns` run inside a network namespace the suite makes: only `lo` and a veth pair.

libwebrtc never gathers loopback addresses, so LiveKit's SDK sends its media from the machine's first
non-loopback address. Inside a fresh namespace that address is the veth pair's (documentation range),
both of whose ends stay in the namespace: nothing the SDK, the stand-in or coturn send can leave it, and
the tests do not depend on the machine's own interfaces. `tests/test_netns.py` starts the namespace with
util-linux's `unshare --net` and runs the marked tests there in one inner pytest.
"""

from __future__ import annotations

import os
import shutil
import subprocess

ENV = "LKDEBUG_TEST_NETNS"
RUNNER = "tests/test_netns.py::test_netns_tests_pass_inside_their_own_network_namespace"
ADDRESS = "198.51.100.10"  # TEST-NET-2 (documentation): no gateway, the veth's own /24 only
LINKS = {"lo", "v0", "v1"}
SETUP = ("ip link set lo up && ip link add v0 type veth peer name v1 && "
         f"ip addr add {ADDRESS}/24 dev v0 && ip link set v0 up && ip link set v1 up")

# As root, a network namespace; as anyone else, inside a user namespace of their own where they are root
# (where the kernel allows unprivileged user namespaces).
UNSHARES = (["unshare", "--net"], ["unshare", "--user", "--map-root-user", "--net"])


def inside() -> bool:
    return os.environ.get(ENV) == "1"


def unshare() -> tuple[list[str] | None, str]:
    """The first of UNSHARES that makes the namespace here, or None and why not (a skip reason)."""
    for tool, package in (("unshare", "util-linux"), ("ip", "iproute2")):
        if shutil.which(tool) is None:
            return None, f"needs `{tool}` ({package}; .ci/run installs it)"
    said = ""
    for argv in UNSHARES:
        try:
            probe = subprocess.run([*argv, "sh", "-c", SETUP], capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            return None, f"`{' '.join(argv)}` did not finish in 30 s"
        if probe.returncode == 0:
            return argv, ""
        said = probe.stderr.strip()[-300:]
    return None, f"cannot make a network namespace with a veth pair (needs root, CAP_SYS_ADMIN or user namespaces): {said}"


def command(unshare_argv: list[str], *argv: str) -> list[str]:
    """`argv` run in a new network namespace after SETUP (`sh -c` hands it over with exec)."""
    return [*unshare_argv, "sh", "-c", f'{SETUP} && exec "$@"', "sh", *argv]
