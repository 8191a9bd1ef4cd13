"""Durations and times for people: `--valid-for` and `--now` parsing, spans, a time claim in words."""

from __future__ import annotations

import math
import re
import time

from lkdebug.core import lazyre
from lkdebug.core.server_rules import LEEWAY_S

_DURATION_PART = lazyre.compile(r"(\d+(?:\.\d+)?)(ms|sec|min|hr|s|m|h|d)")
_UNIT_S = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """"30s" "10m" "6h" "1d" "1h30m" (or bare seconds) -> seconds. ValueError with a usable message."""
    compact = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", compact):
        return float(compact)
    total, position = 0.0, 0
    for match in _DURATION_PART.finditer(compact):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_S[match.group(2)]
        position = match.end()
    if not compact or position != len(compact):
        raise ValueError(f"{text!r} is not a duration: use e.g. 30s, 10m, 6h, 1d or 1h30m")
    return total


def parse_time(text: str) -> float:
    """`--now`: unix seconds ("1768478400") or ISO 8601 ("2026-01-15T14:00:00Z"; no offset means UTC)."""
    compact = text.strip()
    try:
        return float(compact)
    except ValueError:
        pass
    from datetime import datetime, timezone  # only for ISO 8601: iso_utc does without the module

    try:
        moment = datetime.fromisoformat(compact[:-1] + "+00:00" if compact[-1:] in "zZ" and compact else compact)
    except ValueError:
        raise ValueError(f"{text!r} is not a time: use unix seconds (1768478400) or ISO 8601 (2026-01-15T14:00:00Z)") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def span(seconds: float) -> str:
    """A length of time for people: "42 s", "3 min", "3 min 5 s", "5h 59m", "2d 3h"."""
    if math.isnan(seconds):
        return "an unknown time"
    if math.isinf(seconds):
        return "forever"
    whole = int(round(abs(seconds)))
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    if whole < 600:
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    if whole < 3600:
        return f"{minutes} min"
    if whole < 86400:
        hours, rest = divmod(whole, 3600)
        return f"{hours}h {rest // 60}m"
    days, rest = divmod(whole, 86400)
    return f"{days}d {rest // 3600}h"


def relative(seconds_from_now: float) -> str:
    """"in 5h 59m", "3 min ago" or "now"; the TUI reuses it for any timestamp."""
    if abs(seconds_from_now) < 0.5:
        return "now"
    return f"in {span(seconds_from_now)}" if seconds_from_now > 0 else f"{span(seconds_from_now)} ago"


def describe_time(claim: str, seconds_from_now: float) -> str:
    """A time claim in words: "expired 3 min ago", "valid for 5h 59m more", "not valid for another 2 min"."""
    if math.isnan(seconds_from_now):
        return "not a usable time"
    now_ish = abs(seconds_from_now) < 0.5
    # A server accepts nbf and exp up to LEEWAY_S off: say so, or "not valid yet" reads as a rejection.
    leeway = f"; a server still accepts it (its {LEEWAY_S} s leeway)"
    if claim == "exp":
        return "expires now" if now_ish else (
            f"valid for {span(seconds_from_now)} more" if seconds_from_now > 0 else f"expired {span(seconds_from_now)} ago"
            + (leeway if -seconds_from_now < LEEWAY_S else ""))
    if claim == "nbf":
        return "valid from now" if now_ish else (
            f"not valid for another {span(seconds_from_now)}" + (leeway if seconds_from_now <= LEEWAY_S else "")
            if seconds_from_now > 0 else f"valid since {span(seconds_from_now)} ago")
    return "issued now" if now_ish else (
        f"issued {span(seconds_from_now)} in the future" if seconds_from_now > 0 else f"issued {span(seconds_from_now)} ago")


def seconds_between(at: float, now: float) -> float:
    """at - now as a float; an integer beyond any float counts as forever (either way)."""
    try:
        return float(at - now)
    except OverflowError:
        return math.inf if at > now else -math.inf


_ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"
# Unix times of 1000-01-01 and 10000-01-01: between them datetime's strftime and time's write %Y alike (newer Pythons
# pad a year under 1000 to four digits in datetime's, not in time's); outside, datetime answers.
_YEAR_1000, _YEAR_10000 = -30_610_224_000, 253_402_300_800


def iso_utc(at: float) -> str | None:
    """A Unix time as `2026-01-15T12:00:00Z`; None for a number no date can hold.

    `datetime.fromtimestamp(at, timezone.utc).strftime(...)` without importing datetime, which every command
    would pay for: the same rounding to the microsecond (half to even, which may carry into the next second),
    then the time module's UTC calendar."""
    try:
        fraction, whole = math.modf(float(at))
        micro = round(fraction * 1e6)
        seconds = int(whole) + (micro >= 1_000_000) - (micro < 0)
    except (OverflowError, ValueError):  # inf, nan, an integer beyond any float
        seconds = None
    if seconds is not None and _YEAR_1000 <= seconds < _YEAR_10000:
        return time.strftime(_ISO_UTC, time.gmtime(seconds))
    from datetime import datetime, timezone

    try:
        return datetime.fromtimestamp(float(at), timezone.utc).strftime(_ISO_UTC)
    except (OverflowError, ValueError, OSError):
        return None
