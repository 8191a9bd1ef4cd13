"""The `lk token create ...` line that mints the same grants as the Builder (reference §3.2).

lk has flags for a few grants only; the remaining video grants go through `--grant '<JSON>'`
(json.Unmarshal over the grant lk built), and grants lk cannot set at all are named in a
trailing comment so the user knows the line is not equivalent. The secret is never written
out: the line reads it from the environment, as lk does.
"""

from __future__ import annotations

import json
import shlex

# lkdebug grant path -> lk's flag (cmd/lk/token.go).
LK_BOOL_FLAGS = {
    "video.roomJoin": "--join",
    "video.roomAdmin": "--admin",
    "video.roomCreate": "--create",
    "video.roomList": "--list",
    "video.roomRecord": "--egress",
    "video.ingressAdmin": "--ingress",
    "video.canUpdateOwnMetadata": "--allow-update-metadata",
    "inference.perform": "--inference",
}


def go_duration(seconds: float) -> str:
    """lk parses --valid-for with Go's time.ParseDuration: no `d` unit, so 1d is `24h`."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{secs}s" if secs else "")
    return text or "0s"


def lk_token_create(
    *,
    api_key: str,
    identity: str | None,
    name: str | None,
    video: dict,
    other: dict,
    metadata: str | None,
    attributes: dict[str, str] | None,
    valid_for: float,
) -> str:
    """`other` holds the non-video grant objects (sip, agent, inference, roomConfig...)."""
    args = ["lk", "token", "create", "--api-key", api_key or "$LIVEKIT_API_KEY", "--api-secret", "$LIVEKIT_API_SECRET"]
    if identity:
        args += ["--identity", identity]
    if name:
        args += ["--name", name]
    if video.get("room"):
        args += ["--room", video["room"]]
    rest = dict(video)
    rest.pop("room", None)
    for path, flag in LK_BOOL_FLAGS.items():
        group, key = path.split(".")
        source = rest if group == "video" else other.get(group, {})
        if source.get(key) is True:
            args.append(flag)
            if group == "video":
                rest.pop(key)
    if rest.get("canPublishSources"):
        args += ["--allow-source", ",".join(rest.pop("canPublishSources"))]
    if metadata:
        args += ["--metadata", metadata]
    for key, value in (attributes or {}).items():
        args += ["--attribute", f"{key}={value}"]
    unsupported = []
    for agent in (other.get("roomConfig") or {}).get("agents") or []:
        if isinstance(agent, dict) and agent.get("agentName"):
            args += ["--agent", agent["agentName"]]
            if agent.get("metadata"):
                args += ["--job-metadata", agent["metadata"]]
    args += ["--valid-for", go_duration(valid_for)]
    if rest:
        args += ["--grant", json.dumps(rest, separators=(",", ":"))]
    for group, grants in other.items():
        for key in grants:
            if f"{group}.{key}" not in LK_BOOL_FLAGS and not (group == "roomConfig" and key == "agents"):
                unsupported.append(f"{group}.{key}")
    # $VARS stay unquoted so the shell expands them.
    line = " ".join(a if a.startswith("$") else shlex.quote(a) for a in args)
    if unsupported:
        line += "  # lk has no flag for: " + ", ".join(unsupported)
    return line
