"""Lint a decoded token's claims: time claims and TTL against the server's leeway, grants against the grant table.

`finding` and `server_words` are shared with `decode`: a `token` finding, and the current server's own words
when its answer is the one a finding explains.
"""

from __future__ import annotations

import json

from lkdebug.core import server_rules
from lkdebug.core.grants import GRANT_OBJECTS, GROUPS, PARTICIPANT_KINDS, grant, in_group
from lkdebug.core.model import Finding, Severity
from lkdebug.core.redact import scrub
from lkdebug.core.times import seconds_between, span

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which every command would pay for
if TYPE_CHECKING:
    from lkdebug.core.decode import Decoded

TTL_SHORT_S = 60
TTL_LONG_S = 24 * 3600
LEEWAY_S = server_rules.LEEWAY_S


def finding(code: str, severity: Severity, title: str, detail: str = "", fix: str | None = None) -> Finding:
    return Finding(code, severity, "token", title, detail, fix)


def server_words(decoded: Decoded, reason: str, verifier_text: str) -> str:
    """The current server's body when this is the reason it gives, else the verifier's own words."""
    if decoded.verdict is not None and decoded.verdict.reason == reason:
        body = decoded.verdict.message.replace(decoded.raw or "", "<the token>") if decoded.raw else decoded.verdict.message
        return f" A current server answers {decoded.verdict.status} `{scrub(body, decoded.secrets)}`."
    return f" The server's verifier says `{verifier_text}`."


def lint_times(decoded: Decoded, now: float) -> None:
    claims, add = decoded.claims, decoded.findings.append
    current = dict(server_rules.time_errors(claims, now))
    exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
    if exp is not None:
        until_exp = seconds_between(exp, now)
        if "expired" in current:
            add(finding(
                "token.expired", Severity.ERROR, f"Expired {span(until_exp)} ago",
                f"exp is {decoded.times['exp'].iso}; the server allows 60 s of leeway past exp and no more."
                + server_words(decoded, "expired", current["expired"]),
                "Mint a fresh token just before connecting; don't cache or pre-fetch tokens (disable route caching), "
                "and fetch a new one when a connection fails."))
        elif until_exp <= 0:
            add(finding(
                "token.expired", Severity.WARNING, f"Past exp by {span(until_exp)}, inside the server's 60 s leeway",
                f"The server still accepts it for {span(until_exp + LEEWAY_S)} more.", "Mint a fresh token."))
    if nbf is not None:
        until_nbf = seconds_between(nbf, now)
        if "not_yet_valid" in current:
            add(finding(
                "token.not_yet_valid", Severity.ERROR, f"Not valid for another {span(until_nbf)}",
                f"nbf is {decoded.times['nbf'].iso}, more than the server's 60 s of leeway ahead of this clock. "
                "Tokens are minted with nbf = now, so the minting host's clock is ahead (clock skew) or this "
                "machine's is behind." + server_words(decoded, "not_yet_valid", current["not_yet_valid"]),
                "Sync the minting host's clock (NTP; `sudo hwclock -s` in WSL2, restart Docker Desktop) and compare "
                "clocks with `lkdebug check`. Never set nbf by hand."))
        elif until_nbf > 0:
            add(finding(
                "token.not_yet_valid", Severity.WARNING, f"nbf is {span(until_nbf)} ahead, inside the server's 60 s leeway",
                "The server accepts it, but the minting host's clock is ahead of this one: a little more skew and it won't.",
                "Compare clocks with `lkdebug check`."))
    head = dict(server_rules.time_errors(claims, now, server_rules.HEAD))
    if "no_exp" in head:
        add(finding(
            "token.no_exp", Severity.WARNING, "No exp: the token never expires on released servers",
            "Servers up to v1.13.5 accept it forever (a leaked token stays usable); unreleased livekit-server HEAD "
            f"rejects it: `{head['no_exp']}`.",
            "Mint with a TTL (every SDK and `lkdebug token create` set exp)."))
    start = nbf if nbf is not None else iat
    if exp is not None and start is not None:
        ttl = seconds_between(exp, start)
        if ttl < TTL_SHORT_S:
            add(finding(
                "token.ttl_short", Severity.WARNING,
                "TTL is zero: exp equals nbf" if ttl == 0 else (
                    f"exp is {span(ttl)} before nbf" if ttl < 0 else f"TTL is only {span(ttl)}"),
                "Only the server's 60 s leeway keeps it usable: any delay or clock skew and the join fails with "
                "`token is expired`.",
                "Give it minutes to hours (the SDKs default to 6h, `lk token create` to 5 min)."))
        elif ttl > TTL_LONG_S:
            add(finding(
                "token.ttl_long", Severity.WARNING, f"TTL is {span(ttl)}: longer than a day",
                "Anyone who gets hold of it can join until it expires; LiveKit tokens cannot be revoked.",
                "Mint short-lived tokens per session (the SDK default is 6h) and fetch new ones when needed."))
    if iat is not None and decoded.raw:
        _lint_iat(decoded, iat, now)


def _lint_iat(decoded: Decoded, iat: float, now: float) -> None:
    """iat in the future: which releases refuse it, and with which words, from every era's verdict (the
    signature taken as right: this is about the time claims), so the text follows the rules."""
    if not seconds_between(iat, now) > 0:  # every era's iat check (leeway or none) passes a past iat
        return
    verdicts = server_rules.judge_every_era(decoded.raw or "", {}, now, assume_signature=True)
    refusing = {era: v for era, v in verdicts.items() if v.reason == "iat_future"}
    if not refusing:
        return
    eras = list(server_rules.ERAS)
    newer = eras[:eras.index(next(iter(refusing)))]
    answers = "; ".join(
        f"{label} answer {answer.status} `{scrub(answer.message.replace(decoded.raw or '', '<the token>'), decoded.secrets)}`"
        for label, answer in server_rules.same_answers(refusing))
    decoded.findings.append(finding(
        "token.iat_future", Severity.WARNING, f"iat is {span(seconds_between(iat, now))} in the future",
        (f"iat is not checked by {server_rules.span_label(newer)}, but " if newer else "")
        + f"{answers}. The minting host's clock is ahead.",
        "Sync the minting host's clock (NTP)."))


# How to get past each join refusal, so every missing piece is reported at once, not one per attempt.
_JOIN_REPAIRS = {
    "no_video": lambda c: c.__setitem__("video", {}),
    "no_join": lambda c: c["video"].__setitem__("roomJoin", True),
    "no_identity": lambda c: c.__setitem__("sub", "x"),
    "identity_too_long": lambda c: c.__setitem__("sub", "x"),
    "no_room": lambda c: c["video"].__setitem__("room", "x"),
    "room_too_long": lambda c: c["video"].__setitem__("room", "x"),
}
JOIN_FINDINGS = {
    "no_video": ("token.no_video", "No video grant: the token cannot join a room",
                 'Add a video grant with roomJoin and room (`{"video": {"roomJoin": true, "room": "my-room"}}`).'),
    "no_join": ("token.no_join", "video.roomJoin is not set: the token cannot join a room",
                "Add roomJoin: true (`--join`)."),
    "no_identity": ("token.no_identity", "No identity (sub is empty)",
                    "Set a unique identity per participant (`--identity`; `with_identity()` / `identity:` in the SDKs)."),
    "identity_too_long": ("token.identity_too_long", "The identity is longer than 256 bytes (UTF-8)",
                          "Use a shorter identity (the server's default limit is 256)."),
    "no_room": ("token.no_room", "No room (video.room is empty)",
                'Set video.room to the room to join (`--room`). The JS grant field is `room`, not `roomName`.'),
    "room_too_long": ("token.room_too_long", "The room name is longer than 256 bytes (UTF-8)",
                      "Use a shorter room name (the server's default limit is 256)."),
}
# Why the releases before a join check answer otherwise, where the verdicts alone do not say it.
_BEFORE_THE_CHECK = {"no_room": " (the room came from ?room=, and an empty one was let through)"}
_API_GRANTS = ("roomCreate", "roomList", "roomRecord", "roomAdmin", "ingressAdmin")


def lint_grants(decoded: Decoded) -> None:
    claims, add = decoded.claims, decoded.findings.append
    video = claims.get("video") if isinstance(claims.get("video"), dict) else None
    joins = bool(video and video.get("roomJoin"))
    api_grants = [name for name in _API_GRANTS if video and video.get(name) is True]
    other_grants = [g for g in GRANT_OBJECTS if g not in ("video", "roomConfig") and isinstance(claims.get(g), dict)
                    and any(v is True for v in claims[g].values())]
    participant = joins or not (api_grants or other_grants)

    # Every join refusal in the server's order, each fixed in a copy to find the next.
    trial = json.loads(json.dumps(claims))
    # A grant of the wrong JSON type fails before any join check (reported with the verdict).
    typed = server_rules.grant_type_error(claims) is None
    for _ in _JOIN_REPAIRS if typed else ():
        verdict = server_rules.join_verdict(trial)
        if verdict.accepted or verdict.reason not in _JOIN_REPAIRS:
            break
        code, title, fix = JOIN_FINDINGS[verdict.reason]
        if not participant:
            # One sentence for a token that is not meant to join, not one per missing join grant.
            add(finding(code, Severity.INFO, f"A server API token ({', '.join(api_grants + other_grants)}): it cannot join a room",
                         f"That is fine for calling the server API; a join with it answers {verdict.status} `{verdict.message}`.",
                         None))
            break
        add(finding(code, Severity.ERROR, title,
                     f"A join answers {verdict.status} `{verdict.message}`.{_older_servers(trial, verdict)}", fix))
        _JOIN_REPAIRS[verdict.reason](trial)

    if video is not None:
        if "roomName" in video:
            add(finding(
                "token.room_name_key", Severity.ERROR if participant and not video.get("room") else Severity.WARNING,
                "video.roomName is not a LiveKit grant: the field is `room`",
                "The server ignores roomName, so the token has no room: a join answers 400 `no room name` "
                "(older SDKs created a room named \"\").",
                'Rename roomName to room (`addGrant({ room: "my-room", roomJoin: true })`).'))
        _lint_unknown_names(add, "video", video, skip=("roomName",))
        if video.get("roomAdmin") is True and not video.get("room"):
            add(finding(
                "token.admin_no_room", Severity.WARNING, "roomAdmin without a room: it administers no room",
                "The server allows a room admin call only when the token's video.room equals the room acted on "
                "(livekit-server pkg/service/auth.go EnsureAdminPermission); with no room every such call answers "
                "`permissions denied`.",
                "Set video.room to the room this token administers (`--room`)."))
        if joins and api_grants:
            add(finding(
                "token.admin_grant", Severity.WARNING,
                f"A participant (join) token that also carries {', '.join(api_grants)}",
                " ".join(f"{name}: {grant('video.' + name).meaning}" for name in api_grants)
                + " Whoever holds a participant token (the browser) gets these powers too.",
                "Give clients join-only tokens; mint admin tokens on your server for server API calls."))
        sources = video.get("canPublishSources")
        if video.get("canPublish") is False and isinstance(sources, list) and sources:
            add(finding(
                "token.sources_without_publish", Severity.WARNING,
                "canPublishSources is set but canPublish is false: nothing can be published",
                f"The server checks canPublish first; the sources ({', '.join(map(str, sources))}) never apply.",
                "Set canPublish: true (or drop canPublishSources)."))
        if isinstance(sources, list):
            bad = [s for s in sources if s not in grant("video.canPublishSources").choices]
            if bad:
                add(finding(
                    "token.unknown_grant", Severity.WARNING, f"Unknown track source in canPublishSources: {', '.join(map(str, bad))}",
                    f"Sources are lowercase: {', '.join(grant('video.canPublishSources').choices)}.", "Use those names."))
    for group in GRANT_OBJECTS:
        if group != "video" and isinstance(claims.get(group), dict):
            _lint_unknown_names(add, group, claims[group])
    kind = claims.get("kind")
    if kind is not None and kind not in PARTICIPANT_KINDS:
        add(finding(
            "token.unknown_grant", Severity.WARNING, f"Unknown participant kind {str(kind)[:40]!r}: the server treats it as standard",
            f"Kinds: {', '.join(PARTICIPANT_KINDS)}.", "Use one of those (lowercase)."))
    custom = [name for name in claims if grant(name) is None and name not in (*GRANT_OBJECTS, "aud", "identity")]
    if "identity" in claims and not claims.get("sub"):
        add(finding(
            "token.unknown_grant", Severity.WARNING, "A top-level `identity` claim is not read: the identity is `sub`",
            "The server takes the identity from sub (or jti), never from an identity claim.", "Put the identity in sub."))
    if custom:
        add(finding(
            "token.custom_claims", Severity.INFO, f"Claims LiveKit does not use: {', '.join(c[:30] for c in custom[:8])}",
            "The server ignores them.", None))


def _older_servers(claims: dict, verdict: server_rules.Verdict) -> str:
    """Where older releases answer this join otherwise: their exact verdicts, and the release that added the check."""
    eras = list(server_rules.ERAS)
    older = {era: server_rules.join_verdict(claims, era) for era in eras[eras.index(verdict.era) + 1:]}
    other = [era for era, answer in older.items() if (answer.status, answer.message) != (verdict.status, verdict.message)]
    if not other:
        return ""
    since = server_rules.first_release(eras[eras.index(other[0]) - 1])
    runs = "; ".join(f"{label} answer {answer.status} `{answer.message}`"
                     for label, answer in server_rules.same_answers({era: older[era] for era in other}))
    return f" The check exists since {since}: {runs}{_BEFORE_THE_CHECK.get(verdict.reason, '')}."


def _lint_unknown_names(add, group: str, values: dict, skip: tuple[str, ...] = ()) -> None:
    known = [g.json_name for g in in_group(group)]
    unknown = [name for name in values if name not in known and name not in skip]
    if not unknown:
        return
    import difflib  # only when there is something to suggest

    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        hints.append(f"{name[:40]!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    add(finding(
        "token.unknown_grant", Severity.WARNING, f"Unknown {GROUPS[group].lower()} name(s): {', '.join(hints)}",
        f"The server ignores them. Known names: {', '.join(known)}.",
        "Use the exact camelCase names (the SDKs' grant types get them right)."))
