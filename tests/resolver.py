"""A fake resolver for tests: one name points at loopback addresses for every event loop (DNS probe, HTTP, WebSocket, TURN)."""

from __future__ import annotations

import asyncio


def resolve_to(monkeypatch, name: str, addresses: list[str]) -> str:
    """`name` resolves to `addresses`, in that order (each one's real getaddrinfo answer)."""
    real = asyncio.base_events.BaseEventLoop.getaddrinfo

    async def getaddrinfo(self, host, *args, **kwargs):
        if host != name:
            return await real(self, host, *args, **kwargs)
        return [info for address in addresses for info in await real(self, address, *args, **kwargs)]

    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "getaddrinfo", getaddrinfo)
    return name


def resolve_to_loopback(monkeypatch, name: str) -> str:
    return resolve_to(monkeypatch, name, ["127.0.0.1"])
