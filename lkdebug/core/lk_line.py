"""The `lk token create ...` line that mints the same claims as a token lkdebug built.

Read from livekit/livekit-cli 29c26865 (v2.18.2-10: `cmd/lk/token.go`, `cmd/lk/utils.go`), with the
libraries it builds on: urfave/cli v3.9.0 (a string-slice flag splits its value on commas) and
joho/godotenv v1.5.1 (each `--attribute` is parsed as one dotenv statement). What lk does with each
flag decides how a claim is written, or whether it can be:

- `--room`, `--identity` and `--name` expand `%t %T %Y %m %d %H %M %S %x %U %h %p`, with no escape.
  A room holding one is written in `--grant '{"room": ...}'`, which lk's json.Unmarshal copies over
  the grant verbatim; an identity or a name holding one cannot be written.
- An empty room or identity makes lk invent `room-<time>` / `participant-<hex>`: an empty room is
  written as `--grant '{"room":""}'`, an empty identity cannot be. lk sets `name` to the identity
  when no name is given.
- Without one of --create --join --admin --list --egress --ingress --inference --grant, lk asks
  for permissions (or fails without a terminal): `--grant '{}'` answers that without granting.
- `--agent` dispatches one agent, and only together with --join. `kind`, `roomPreset` and the
  sip/agent/observability grants have no lk flag.
- `--valid-for` defaults to 5m and takes Go durations only (no `d`, no bare number): always written.
- The secret is never written. The line reads it where lk can: the process environment (lk never
  reads .env files), behind `${VAR:?}` so a missing variable stops the shell instead of lk quietly
  falling back to another project; a secret file through `$(cat FILE)`; an lk project by `--project`.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping

from lkdebug.core import redact
from lkdebug.core.grants import GRANTS, grant
from lkdebug.core.model import Setting
from lkdebug.core.records import dataclass

LK_SOURCE_REVISION = "livekit/livekit-cli 29c268653d17990f13635952084eda3d7a87e614 (v2.18.2-10)"
# util.ExpandTemplate's placeholders (pkg/util/templates.go): replaced in --room, --identity, --name.
LK_TEMPLATE = re.compile(r"%[tTYmdHMSxUhp]")
# The flags that count as a permission for lk (`hasPerms` in createToken).
LK_PERMISSION_FLAGS = ("--create", "--join", "--admin", "--list", "--egress", "--ingress", "--inference")
PROCESS = "process environment"
# An lk project's origin as core.lk_sources writes it: "lk project 'staging' (~/.livekit/cli-config.yaml)".
_LK_PROJECT_ORIGIN = re.compile(r"^lk project (['\"])(.*)\1 \(")
# A key and value lk's godotenv reads back unchanged from `KEY=VALUE` (letters, digits, _ and .).
_DOTENV_KEY = re.compile(r"^[\w.]+$")
_DOTENV_PLAIN = re.compile(r"^[^\s,#'\"\\$]([^,#'\"\\$\n\r]*[^\s,#'\"\\$])?$")
_DOTENV_QUOTABLE = re.compile(r"^[^,'\n\r\\]*$")
_LK_FLAGS = {g.path: g.lk_flag for g in GRANTS if g.lk_flag}


@dataclass(frozen=True)
class Gap:
    """A claim the line cannot reproduce: `claim` is its path, `text` what lk does instead."""

    claim: str
    text: str


@dataclass(frozen=True)
class LkLine:
    command: str
    gaps: tuple[Gap, ...] = ()
    first: tuple[str, ...] = ()  # what to do before running the line (export a variable...)

    @property
    def exact(self) -> bool:
        return not self.gaps

    def text(self) -> str:
        """The line with a trailing shell comment that names what to do first and what lk cannot set."""
        parts = [f"first: {step}" for step in self.first]
        if self.gaps:
            parts.append("lk cannot set: " + ", ".join(dict.fromkeys(g.claim for g in self.gaps)))
        return self.command + ("  # " + redact.visible("; ".join(parts)) if parts else "")

    def to_dict(self) -> dict:
        return {"command": self.command, "exact": self.exact, "first": list(self.first),
                "gaps": [{"claim": g.claim, "text": g.text} for g in self.gaps], "lk_source": LK_SOURCE_REVISION}


def go_duration(seconds: float) -> str:
    """A duration Go's time.ParseDuration reads: 6h, 1h30m, 90s, 1.5s."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs = f"{rest // 1000}" if rest % 1000 == 0 else f"{rest / 1000:.3f}".rstrip("0")
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{secs}s" if rest else "")
    return text or "0s"


def shell_word(value: str) -> str:
    """One shell word for `value`; control characters become `$'\\x..'` escapes, never raw bytes."""
    if not redact.has_controls(value):
        return shlex.quote(value)
    escaped = "".join(
        f"\\x{ord(c):02x}" if ord(c) < 0x20 or ord(c) == 0x7f else ("\\" + c if c in "\\'" else c) for c in value
    )
    return f"$'{redact.visible(escaped)}'"


def _guard(variable: str) -> str:
    """`"${VAR:?...}"`: the shell stops with this message when VAR is unset or empty."""
    return f'"${{{variable}:?export {variable} first}}"'


def _lk_project(setting: Setting | None) -> str | None:
    match = _LK_PROJECT_ORIGIN.match(setting.source) if setting else None
    return match.group(2) if match else None


def _credentials(api_key: Setting | None, api_secret: Setting | None, reveal: bool) -> tuple[list[str], list[str]]:
    """Shell words for the key and secret, and what to export before running them."""
    project = _lk_project(api_secret)
    if project is not None and _lk_project(api_key) == project:
        return ["--project", shell_word(project)], []
    words: list[str] = []
    first: list[str] = []
    if api_key is None:
        words += ["--api-key", _guard("LIVEKIT_API_KEY")]
        first.append("export LIVEKIT_API_KEY (lkdebug found no API key)")
    elif reveal:
        words += ["--api-key", shell_word(api_key.value)]
    else:
        words += ["--api-key", _guard("LIVEKIT_API_KEY")]
        if not (api_key.source == PROCESS and api_key.name == "LIVEKIT_API_KEY"):
            first.append(f"export LIVEKIT_API_KEY={redact.mask_key(api_key.value)} (from {api_key.source})")
    if api_secret is not None and api_secret.source.startswith("--api-secret-file "):
        path = api_secret.source.removeprefix("--api-secret-file ")
        words += ["--api-secret", f'"$(cat -- {shell_word(path)})"']
        return words, first
    words += ["--api-secret", _guard("LIVEKIT_API_SECRET")]
    if api_secret is None:
        first.append("export LIVEKIT_API_SECRET (lkdebug found no API secret)")
    elif not (api_secret.source == PROCESS and api_secret.name == "LIVEKIT_API_SECRET"):
        first.append(f"export LIVEKIT_API_SECRET from {api_secret.source} ({api_secret.name}): lk reads its flags "
                     "and the process environment, never .env files")
    return words, first


def _is_default(value: object) -> bool:
    return value in (None, False, "", 0, [], {}, ())


def _attributes(attributes: Mapping[str, str], words: list[str], gaps: list[Gap]) -> None:
    unwritable = {}
    for key, value in attributes.items():
        if not _DOTENV_KEY.match(key):
            unwritable[key] = value
        elif value == "" or _DOTENV_PLAIN.match(value):
            words += ["--attribute", shell_word(f"{key}={value}")]
        elif _DOTENV_QUOTABLE.match(value):
            # godotenv takes a single-quoted value literally: no `#` comment, no `$VAR`, no trimming.
            words += ["--attribute", shell_word(f"{key}='{value}'")]
        else:
            unwritable[key] = value
    if unwritable:
        gaps.append(Gap("attributes", (
            f"lk's --attribute splits on commas and reads KEY=VALUE as a dotenv line (keys of letters, digits, _ "
            f"and . only), so {', '.join(map(repr, unwritable))} cannot be written on it: put "
            f"{json.dumps(unwritable, ensure_ascii=False)} in a JSON file and add --attribute-file FILE")))


def _video(video: Mapping, words: list[str], grant_json: dict, gaps: list[Gap]) -> None:
    room = video.get("room", "")
    if not isinstance(room, str) or room == "" or LK_TEMPLATE.search(room):
        # --grant is json.Unmarshal'd over the grant lk built: the room arrives as written.
        grant_json["room"] = room if isinstance(room, str) else ""
    else:
        words += ["--room", shell_word(room)]
    publish = video.get("canPublish", True)
    for key, value in video.items():
        row = grant(f"video.{key}")
        flag = _LK_FLAGS.get(f"video.{key}")
        if key == "room":
            continue
        if row is None:
            gaps.append(Gap(f"video.{key}", "not a video grant lk knows; its json.Unmarshal drops it"))
        elif key == "canPublishSources":
            if value:
                words += ["--allow-source", ",".join(value)]
        elif flag and row.type in ("bool", "tristate") and value is True:
            words.append(flag)
        elif row.type == "tristate":
            # Absent means the server's default; canPublishData's default is canPublish's value.
            absent = publish if key == "canPublishData" else row.default
            if value is not None and value != absent:
                grant_json[key] = value
        elif not _is_default(value):
            grant_json[key] = value


def _room_config(claims: Mapping, words: list[str], gaps: list[Gap]) -> None:
    config = claims.get("roomConfig")
    if not config:
        return
    if not isinstance(config, Mapping):
        gaps.append(Gap("roomConfig", "lk has no flag for a room configuration"))
        return
    for key, value in config.items():
        if key != "agents" and not _is_default(value):
            gaps.append(Gap(f"roomConfig.{key}", "lk has no flag for it"))
    agents = config.get("agents") or []
    if not agents:
        return
    joins = (claims.get("video") or {}).get("roomJoin") is True
    agent = agents[0] if len(agents) == 1 and isinstance(agents[0], Mapping) else None
    if agent is None or not agent.get("agentName") or set(agent) - {"agentName", "metadata", "deployment"} or not joins:
        why = ("lk dispatches one agent: --agent and --job-metadata are single flags, the last one given wins"
               if len(agents) > 1 else "lk dispatches an agent only with --join" if not joins
               else "lk's --agent takes an agent name, --job-metadata and --deployment only")
        gaps.append(Gap("roomConfig.agents", why))
        return
    words += ["--agent", shell_word(agent["agentName"])]
    if agent.get("metadata"):
        words += ["--job-metadata", shell_word(agent["metadata"])]
    if agent.get("deployment"):
        words += ["--deployment", shell_word(agent["deployment"])]


_NO_LK_FLAG = ("kind", "kindDetails", "roomPreset", "sha256", "jti", "sip", "agent", "agentEndpoint", "agentThread",
               "observability")


def lk_token_create(claims: Mapping, *, api_key: Setting | None, api_secret: Setting | None,
                    reveal: bool = False) -> LkLine:
    """The `lk token create` line for a token's claims (as `core.mint.build_claims` makes them)."""
    credentials, first = _credentials(api_key, api_secret, reveal)
    words = ["lk", "token", "create", *credentials]
    gaps: list[Gap] = []
    identity = claims.get("sub") or ""
    if not isinstance(identity, str) or not identity:
        gaps.append(Gap("sub", "lk gives a token without an identity a generated one, participant-<hex>"))
    elif LK_TEMPLATE.search(identity):
        gaps.append(Gap("sub", f"lk expands %-templates in --identity with no escape: {identity!r} would change"))
    else:
        words += ["--identity", shell_word(identity)]
    name = claims.get("name")
    if isinstance(name, str) and name:
        if LK_TEMPLATE.search(name):
            gaps.append(Gap("name", f"lk expands %-templates in --name with no escape: {name!r} would change"))
        else:
            words += ["--name", shell_word(name)]
    else:
        gaps.append(Gap("name", "lk sets the name to the identity when no name is given"))
    grant_json: dict = {}
    _video(claims.get("video") or {}, words, grant_json, gaps)
    inference = claims.get("inference") or {}
    if inference.get("perform") is True:
        words.append("--inference")
    gaps += [Gap(f"inference.{k}", "lk has no flag for it") for k, v in inference.items()
             if k != "perform" and not _is_default(v)]
    if claims.get("metadata"):
        words += ["--metadata", shell_word(claims["metadata"])]
    if claims.get("attributes"):
        _attributes(claims["attributes"], words, gaps)
    _room_config(claims, words, gaps)
    for claim in _NO_LK_FLAG:
        value = claims.get(claim)
        if claim == "kind" and value == "standard":
            continue
        if isinstance(value, Mapping):
            gaps += [Gap(f"{claim}.{k}", "lk has no flag for it") for k, v in value.items() if not _is_default(v)]
        elif not _is_default(value):
            gaps.append(Gap(claim, "lk has no flag for it"))
    lifetime = (claims.get("exp") or 0) - (claims.get("nbf") or claims.get("iat") or 0)
    if not isinstance(claims.get("exp"), int) or lifetime <= 0:
        gaps.append(Gap("exp", "lk always sets an expiry, 6h when --valid-for is 0"))
    else:
        words += ["--valid-for", go_duration(lifetime)]
    if grant_json or not any(w in LK_PERMISSION_FLAGS for w in words):
        words += ["--grant", shell_word(json.dumps(grant_json, separators=(",", ":"), ensure_ascii=False))]
    return LkLine(" ".join(words), tuple(gaps), tuple(first))
