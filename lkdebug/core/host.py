"""Facts about hosts that change the diagnosis: the machine lkdebug runs on (container, WSL) and
what a URL's host name points at (this machine, the local network)."""

from __future__ import annotations

import ipaddress
from functools import cache
from pathlib import Path


@cache
def in_container() -> bool:
    """Inside Docker/Podman/Kubernetes, `localhost` is the container itself, not the host's LiveKit."""
    if Path("/.dockerenv").exists() or Path("/run/.containerenv").exists():
        return True
    try:
        cgroup = Path("/proc/1/cgroup").read_text(errors="replace")
    except OSError:
        return False
    return any(marker in cgroup for marker in ("docker", "kubepods", "containerd", "libpod"))


@cache
def in_wsl() -> bool:
    """WSL2's clock drifts after the host sleeps: a known cause of `token is not valid yet`."""
    try:
        return "microsoft" in Path("/proc/version").read_text(errors="replace").lower()
    except OSError:
        return False


def is_loopback_host(host: str) -> bool:
    """A name for this very machine (in a container: the container itself)."""
    host = host.strip("[]").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def is_local_host(host: str) -> bool:
    """Loopback, private networks, .local/.lan/.internal names and single-label names (compose
    services) count as local: where plain ws:// is normal and wss:// would be unusual."""
    if is_loopback_host(host):
        return True
    host = host.strip("[]").lower()
    if host == "host.docker.internal" or host.endswith((".local", ".lan", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return bool(host) and "." not in host
    return address.is_private or address.is_link_local
