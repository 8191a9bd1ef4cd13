"""A recorded model of what `lk token create` does with its command line, to run exported lines through.

Recorded by reading (not running: no Go toolchain or lk binary here) these sources:
- livekit/livekit-cli 29c268653d17990f13635952084eda3d7a87e614 (v2.18.2-10): cmd/lk/token.go (flags,
  createToken), cmd/lk/utils.go (global flags with their env sources, TemplateStringFlag, parseKeyValuePairs,
  resolveProject), pkg/util/templates.go (ExpandTemplate);
- urfave/cli v3.9.0 (the version in lk's go.mod): command_parse.go (how arguments are split into flags),
  flag_slice_base.go + flag.go (a string slice splits on "," and is not trimmed);
- joho/godotenv v1.5.1: parser.go (each --attribute value is one dotenv statement);
- livekit/protocol d74e7cdb: auth/accesstoken.go (ToJWT: 6h when the duration is not positive),
  auth/grants.go (the JSON names; Go's json.Unmarshal matches them case-insensitively, ignores unknown ones).

This is a test oracle, written apart from lkdebug's own line writer; it raises LkError with lk's words
where lk would stop.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

REVISION = "livekit/livekit-cli 29c268653d17990f13635952084eda3d7a87e614, urfave/cli v3.9.0, joho/godotenv v1.5.1"


class LkError(Exception):
    pass


# name -> (kind, aliases, default, env var). kind: bool | string | template | slice.
FLAGS: dict[str, tuple[str, tuple[str, ...], str | None, str | None]] = {
    # `lk token create` (cmd/lk/token.go)
    "room": ("template", ("r",), None, None),
    "identity": ("template", ("i",), None, None),
    "open": ("string", (), None, None),
    "create": ("bool", (), None, None),
    "list": ("bool", (), None, None),
    "join": ("bool", (), None, None),
    "admin": ("bool", (), None, None),
    "egress": ("bool", (), None, None),
    "ingress": ("bool", (), None, None),
    "inference": ("bool", (), None, None),
    "allow-update-metadata": ("bool", (), None, None),
    "allow-source": ("slice", (), None, None),
    "name": ("template", ("n",), None, None),
    "metadata": ("string", (), None, None),
    "attribute": ("slice", (), None, None),
    "attribute-file": ("string", (), None, None),
    "valid-for": ("string", (), "5m", None),
    "grant": ("string", (), None, None),
    "agent": ("string", (), None, None),
    "deployment": ("string", ("d",), None, None),
    "job-metadata": ("string", (), None, None),
    "token-only": ("bool", (), None, None),
    "json": ("bool", ("j",), None, None),
    # global flags (cmd/lk/utils.go globalFlags): urfave/cli v3 flags are inherited by subcommands
    "url": ("string", (), "http://localhost:7880", "LIVEKIT_URL"),
    "api-key": ("string", (), None, "LIVEKIT_API_KEY"),
    "api-secret": ("string", (), None, "LIVEKIT_API_SECRET"),
    "dev": ("bool", (), None, None),
    "project": ("string", (), None, None),
    "subdomain": ("string", (), None, None),
    "config": ("string", (), "livekit.toml", None),
    "curl": ("bool", (), None, None),
    "verbose": ("bool", (), None, None),
    "yes": ("bool", ("y",), None, None),
    "quiet": ("bool", ("q", "silent"), None, None),
}
_BY_NAME = {alias: name for name, (_, aliases, _, _) in FLAGS.items() for alias in (name, *aliases)}
TEMPLATE_KEYS = "tTYmdHMSxUhp"
SOURCES = ("camera", "microphone", "screen_share", "screen_share_audio")
# Go field names of auth.VideoGrant, for json.Unmarshal's case-insensitive match.
VIDEO_FIELDS = ("roomCreate", "roomList", "roomRecord", "roomAdmin", "roomJoin", "room", "canPublish", "canSubscribe",
                "canPublishData", "canPublishSources", "canUpdateOwnMetadata", "ingressAdmin", "hidden", "recorder",
                "agent", "canSubscribeMetrics", "canManageAgentSession", "destinationRoom")


def expand_template(text: str) -> str:
    """util.ExpandTemplate: each %X is replaced, left to right, no escape. The marker shows it happened."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "%" and i + 1 < len(text) and text[i + 1] in TEMPLATE_KEYS:
            out.append(f"<expanded %{text[i + 1]}>")
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@dataclass
class Parsed:
    values: dict[str, object] = field(default_factory=dict)
    set: set[str] = field(default_factory=set)

    def string(self, name: str, env: dict[str, str]) -> str:
        kind, _, default, var = FLAGS[name]
        if name in self.set:
            return self.values[name]
        if var and env.get(var):
            return env[var]
        return expand_template(default) if kind == "template" and default else (default or "")

    def bool(self, name: str) -> bool:
        return self.values.get(name) == "true"

    def slice(self, name: str) -> list[str]:
        return self.values.get(name, [])


def parse_args(argv: list[str]) -> Parsed:
    """urfave/cli v3.9 command_parse.go: a non-bool flag takes the next argument, whatever it looks like."""
    parsed = Parsed()
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-":
            continue  # a positional argument: token create ignores them
        name, eq, value = arg.lstrip("-").partition("=")
        if name not in _BY_NAME:
            raise LkError(f"flag provided but not defined: -{name}")
        name = _BY_NAME[name]
        kind = FLAGS[name][0]
        if kind == "bool":
            value = value or "true"
        elif not eq:
            if not rest:
                raise LkError(f"flag needs an argument: {arg}")
            value = rest.pop(0)
        parsed.set.add(name)
        if kind == "slice":
            parsed.values.setdefault(name, []).extend(value.split(","))
        else:
            parsed.values[name] = expand_template(value) if kind == "template" else value
    return parsed


def godotenv_statement(text: str, env: dict[str, str]) -> dict[str, str]:
    """godotenv v1.5.1 parseBytes for the one-line statements --attribute is given."""
    out: dict[str, str] = {}
    src = text.replace("\r\n", "\n")
    while True:
        src = src.lstrip()
        if not src:
            return out
        if src.startswith("#"):
            _, _, src = src.partition("\n")
            continue
        if src.startswith("export") and src[6:7].isspace():
            src = src[6:].lstrip()
        key_end = None
        for i, char in enumerate(src):
            if char.isspace():
                continue
            if char in "=:":
                key_end = i
                break
            if not (char == "_" or char == "." or char.isalnum()):
                raise LkError(f"unexpected character {char!r} in variable name near {src!r}")
        if key_end is None:
            raise LkError("zero length string" if not src else f"unexpected end of statement near {src!r}")
        key = "".join(src[:key_end].split())
        src = src[key_end + 1:].lstrip()
        if src[:1] in ("'", '"'):
            quote = src[0]
            end = next((i for i in range(1, len(src)) if src[i] == quote and src[i - 1] != "\\"), None)
            if end is None:
                raise LkError(f"unterminated quoted value {src.splitlines()[0]}")
            value = src[:end].strip(quote)
            if quote == '"':
                value = _expand_vars(value.replace("\\n", "\n"), env, out)
            src = src[end + 1:]
        else:
            line, _, src = src.partition("\n")
            cut = next((i for i in range(len(line) - 1, 0, -1) if line[i] == "#" and line[i - 1].isspace()), len(line))
            value = _expand_vars(line[:cut].strip(), env, out)
        out[key] = value


def _expand_vars(value: str, env: dict[str, str], parsed: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        if match.group(1):
            return match.group(0)[1:]
        name = match.group(3) or ""
        return parsed.get(name, env.get(name, ""))

    return re.sub(r"(\\)?(\$)\{?([A-Z0-9_]+)?\}?", one, value)


def parse_go_duration(text: str) -> float:
    """time.ParseDuration for the units lk's usage names (ns..h); no `d`, and no bare number except 0."""
    if text in ("0", "+0", "-0"):
        return 0.0
    match = re.fullmatch(r"([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+", text)
    if not match:
        raise LkError(f'time: invalid duration "{text}"')
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    total = sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", text))
    return -total if match.group(1) == "-" else total


def credentials(parsed: Parsed, env: dict[str, str]) -> tuple[str, str] | str:
    """resolveProject's step 3 for `token create` (no URL required): both key and secret, else another source."""
    if parsed.string("project", env):
        return f"project {parsed.string('project', env)}"
    key, secret = parsed.string("api-key", env), parsed.string("api-secret", env)
    if key and secret:
        return key, secret
    return "livekit.toml or the default project (the key or secret flag/env was empty)"


def token_create(argv: list[str], env: dict[str, str]) -> dict:
    """The claims createToken would sign (times as `lifetime`), plus `_credentials`."""
    if argv[:3] != ["lk", "token", "create"]:
        raise LkError(f"not an lk token create line: {argv[:3]}")
    p = parse_args(argv[3:])
    attributes: dict[str, str] = {}
    for pair in p.slice("attribute"):
        attributes.update(godotenv_statement(pair, env))
    identity = p.string("identity", env) or "participant-<generated %x>"
    room = p.string("room", env) or "room-<generated %t>"
    video: dict = {"room": room}
    has_perms = False
    for flag, key in (("create", "roomCreate"), ("join", "roomJoin"), ("admin", "roomAdmin"), ("list", "roomList"),
                      ("egress", "roomRecord"), ("ingress", "ingressAdmin")):
        if p.bool(flag):
            video[key] = True
            has_perms = True
    inference = p.bool("inference")
    has_perms = has_perms or inference
    if "allow-source" in p.set:
        for source in p.slice("allow-source"):
            if source not in SOURCES:
                raise LkError(f"invalid source: {source}")
        video["canPublishSources"] = list(p.slice("allow-source"))
    if p.bool("allow-update-metadata"):
        video["canUpdateOwnMetadata"] = True
    grant_text = p.string("grant", env)
    if grant_text:
        value = json.loads(grant_text)
        if not isinstance(value, dict):
            raise LkError("json: cannot unmarshal into Go value of type auth.VideoGrant")
        by_lower = {name.lower(): name for name in VIDEO_FIELDS}
        for key, item in value.items():
            if key.lower() in by_lower:
                video[by_lower[key.lower()]] = item
        has_perms = True
    if not has_perms:
        raise LkError("non-interactive mode: specify permissions via flags (e.g. --create, --join, --admin)")
    creds = credentials(p, env)
    claims: dict = {"sub": identity, "video": video, "_credentials": creds}
    if inference:
        claims["inference"] = {"perform": True}
    agent = p.string("agent", env)
    if video.get("roomJoin") and agent:
        dispatch = {"agentName": agent, "deployment": p.string("deployment", env),
                    "metadata": p.string("job-metadata", env)}
        claims["roomConfig"] = {"agents": [{k: v for k, v in dispatch.items() if v}]}
    if p.string("metadata", env):
        claims["metadata"] = p.string("metadata", env)
    if attributes:
        claims["attributes"] = attributes
    claims["name"] = p.string("name", env) or identity
    lifetime = parse_go_duration(p.string("valid-for", env))
    claims["lifetime"] = lifetime if lifetime > 0 else 6 * 3600
    return claims
