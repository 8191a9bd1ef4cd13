"""A token's claims as rows for display: path, value as text, meaning from the grant table."""

from __future__ import annotations

import json
from collections.abc import Mapping

from lkdebug.core.grants import GRANT_OBJECTS, grant, in_group

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which every command would pay for
if TYPE_CHECKING:
    from lkdebug.core.decode import TimeClaim


def claim_rows(claims: dict, times: Mapping[str, TimeClaim] | None = None,
               absent_defaults: bool = False) -> list[tuple[str, str, str]]:
    """(path, value as text, meaning) for every claim, grant objects flattened to `video.roomJoin`.

    Meanings come from the grant table. With `times` (Decoded.times) a time claim is explained as a
    date and how far from now; with `absent_defaults` every video tristate the token leaves out is
    listed with the default the server assumes (the CLI shows them, the TUI's table does not).
    """
    rows = []
    for name, value in claims.items():
        if name in GRANT_OBJECTS and isinstance(value, dict):
            for key, inner in value.items():
                known = grant(f"{name}.{key}")
                rows.append((f"{name}.{key}", _claim_text(inner),
                             known.meaning if known else "not a LiveKit grant: the server ignores it"))
            if absent_defaults and name == "video":
                rows += [(row.path, f"(absent: {row.default_label})", row.meaning)
                         for row in in_group("video") if row.type == "tristate" and row.json_name not in value]
            continue
        known = grant(name)
        meaning = known.meaning if known else (
            f"the {name} grant" if name in GRANT_OBJECTS else "not a LiveKit claim: the server ignores it")
        if times and name in times:
            meaning = f"{times[name].iso or 'not a date'}, {times[name].relative}"
        rows.append((name, _claim_text(value), meaning))
    return rows


def _claim_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
