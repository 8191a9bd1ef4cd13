"""Facts about the machine lkdebug runs on that change the diagnosis (container, WSL)."""

from __future__ import annotations

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
