"""`re.compile`, compiled on first use: a module's patterns cost its import nothing.

Python compiles a regular expression in Python code; the patterns the core defines at module level cost
`token decode` more at import than its whole decode, and a run uses only some of them (a `.env` without a
quoted value never needs the quoted-value grammar). `compile(pattern, flags)` stands for the compiled
pattern: its methods and attributes (`search`, `sub`, `pattern`...) compile it when first read. It cannot be
passed where `re` expects a pattern object (`re.sub(PATTERN, ...)`); call its methods instead.
"""

from __future__ import annotations

import re


class LazyPattern:
    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> object:
        if self._compiled is None:
            self._compiled = re.compile(*self._source)
        value = getattr(self._compiled, name)
        self.__dict__[name] = value  # the next read finds it without this detour
        return value

    def __repr__(self) -> str:
        return f"lazyre.compile({self._source[0]!r}, {self._source[1]})"


def compile(pattern: str, flags: int = 0) -> LazyPattern:  # noqa: A001 (stands for re.compile)
    return LazyPattern(pattern, flags)
