"""A fake resolver for tests: one name points at 127.0.0.1 for every event loop (DNS probe, HTTP, WebSocket, TURN)."""

from __future__ import annotations

import asyncio


def resolve_to_loopback(monkeypatch, name: str) -> str:
    real = asyncio.base_events.BaseEventLoop.getaddrinfo

    async def getaddrinfo(self, host, *args, **kwargs):
        return await real(self, "127.0.0.1" if host == name else host, *args, **kwargs)

    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "getaddrinfo", getaddrinfo)
    return name
