"""One table of every claim and grant a LiveKit access token can carry (livekit/protocol `auth/grants.go`).

The `token create` flags, the decoder's plain-language explanations, the unknown-grant lint and the
TUI's Token Builder form all read this table, so a grant is described exactly once.
Sources: reference/livekit-server-behaviour.md §1.2 (protocol HEAD) and livekit-api 1.2
(`access_token.py`: the agent dispatch, endpoint and thread grants it mints).

`type` is one of:
  bool      true/false, false when absent
  tristate  a `*bool` on the server: absent means `default` (not false), so "absent" is a third state
  str, int  a plain value ("" / 0 when absent)
  list[str] a list of strings (`choices` lists the accepted values when the server has a fixed set)
  map       string -> string
  json      a nested object or list, shown and edited as JSON
`group` is the claim the grant sits under: "participant" (top-level participant claims), "jwt" (the
registered claims the minter sets: iss, sub, nbf, exp, iat, jti), "video", "sip", "agent",
"agentEndpoint", "agentThread", "inference", "observability" or "roomConfig".
"""

from __future__ import annotations

from lkdebug.core.records import dataclass

TRACK_SOURCES = ("camera", "microphone", "screen_share", "screen_share_audio")
PARTICIPANT_KINDS = ("standard", "ingress", "egress", "sip", "agent", "connector", "bridge")


@dataclass(frozen=True)
class Grant:
    path: str  # "video.roomJoin", "sip.admin", "name", "roomConfig.agents"
    group: str
    json_name: str  # the key inside its group's object ("roomJoin")
    type: str
    default: object  # what the server assumes when the claim is absent
    meaning: str  # one sentence, for the decoder, F1 help and the builder form
    choices: tuple[str, ...] = ()
    cli_flag: str | None = None  # the `lkdebug token create` flag that sets it, if any
    lk_flag: str | None = None  # lk's `lk token create` flag for it (cmd/lk/token.go), if lk has one
    default_text: str = ""  # the default in words when `default` alone would mislead

    @property
    def default_label(self) -> str:
        """The default as a person reads it: 'true', 'false', 'same as canPublish', '(none)'."""
        if self.default_text:
            return self.default_text
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        if self.default in ("", None, (), 0):
            return "(none)"
        return str(self.default)


def _g(group: str, name: str, type: str, default: object, meaning: str, **more) -> Grant:
    path = name if group in ("participant", "jwt") else f"{group}.{name}"
    return Grant(path, group, name, type, default, meaning, **more)


GRANTS: tuple[Grant, ...] = (
    # Registered claims: the minter sets them; they decide which secret checks the token and when it is valid.
    _g("jwt", "iss", "str", "", "The API key that signed the token; the server looks up its secret by this name.",
       cli_flag="--api-key", lk_flag="--api-key"),
    _g("jwt", "sub", "str", "", "The participant identity; a join needs a non-empty one, unique within the room.",
       cli_flag="--identity", lk_flag="--identity"),
    _g("jwt", "nbf", "int", 0, "Not before: the server rejects the token until this time (minus 60 s of leeway)."),
    _g("jwt", "exp", "int", 0, "Expiry: the server rejects the token from this time (plus 60 s of leeway); "
       "released servers accept a token without it, unreleased HEAD rejects it.", cli_flag="--valid-for",
       lk_flag="--valid-for"),
    _g("jwt", "iat", "int", 0, "Issued at: informational; current servers do not check it (v1.4-v1.12 rejected one "
       "more than 60 s in the future)."),
    _g("jwt", "jti", "str", "", "Token id; the server uses it as the identity only when `sub` is empty."),
    # Participant claims (top level of the payload).
    _g("participant", "name", "str", "", "The display name other participants see.", cli_flag="--name", lk_flag="--name"),
    _g("participant", "kind", "str", "standard", "What sort of participant this is; unknown values count as standard.",
       choices=PARTICIPANT_KINDS, cli_flag="--kind"),
    _g("participant", "kindDetails", "list[str]", (), "Finer detail about the participant kind, set by LiveKit services."),
    _g("participant", "metadata", "str", "", "Free-form participant metadata every participant in the room can read.",
       cli_flag="--metadata", lk_flag="--metadata"),
    _g("participant", "attributes", "map", None, "Key/value participant attributes every participant in the room can read.",
       cli_flag="--attribute", lk_flag="--attribute"),
    _g("participant", "sha256", "str", "", "SHA-256 of a request body this token is bound to (webhooks, signed API calls)."),
    _g("participant", "roomPreset", "str", "", "The name of a room preset defined on the project, applied when the room is created."),
    # Video grant: what the holder may do with rooms.
    _g("video", "roomJoin", "bool", False, "Allows joining the room named in `room`; a participant token needs it.",
       cli_flag="--join", lk_flag="--join"),
    _g("video", "room", "str", "", "The room this token's room grants apply to; a join needs it (and it must match the room you connect to).",
       cli_flag="--room", lk_flag="--room"),
    _g("video", "roomCreate", "bool", False, "Allows creating and deleting rooms through the server API.",
       cli_flag="--create", lk_flag="--create"),
    _g("video", "roomList", "bool", False, "Allows listing rooms through the server API.", cli_flag="--list", lk_flag="--list"),
    _g("video", "roomRecord", "bool", False, "Allows starting and stopping egress (recording, streaming).",
       cli_flag="--record", lk_flag="--egress"),
    _g("video", "roomAdmin", "bool", False, "Allows moderating the room named in `room` through the server API (mute, remove, update participants).",
       cli_flag="--admin", lk_flag="--admin"),
    _g("video", "ingressAdmin", "bool", False, "Allows creating and managing ingress (RTMP/WHIP input) for any room.",
       cli_flag="--ingress-admin", lk_flag="--ingress"),
    _g("video", "destinationRoom", "str", "", "The room a participant may be forwarded or moved to."),
    _g("video", "canPublish", "tristate", True, "Allows publishing audio and video tracks.", cli_flag="--can-publish"),
    _g("video", "canSubscribe", "tristate", True, "Allows subscribing to other participants' tracks.",
       cli_flag="--can-subscribe"),
    _g("video", "canPublishData", "tristate", True, "Allows sending data messages and chat.",
       cli_flag="--can-publish-data", default_text="same as canPublish"),
    _g("video", "canPublishSources", "list[str]", (), "Limits publishing to these track sources; empty allows every source.",
       choices=TRACK_SOURCES, cli_flag="--allow-source", lk_flag="--allow-source", default_text="every source"),
    _g("video", "canUpdateOwnMetadata", "tristate", False, "Allows the participant to change its own name, metadata and attributes.",
       cli_flag="--can-update-metadata", lk_flag="--allow-update-metadata"),
    _g("video", "canSubscribeMetrics", "tristate", False, "Allows subscribing to other participants' metrics."),
    _g("video", "canManageAgentSession", "tristate", False, "Allows managing an agent session remotely."),
    _g("video", "hidden", "bool", False, "Hides the participant from the others in the room (for bots and monitors).",
       cli_flag="--hidden"),
    _g("video", "recorder", "bool", False, "Marks the participant as a recorder (deprecated)."),
    _g("video", "agent", "bool", False, "Lets the holder register as an agent worker (used by the agent framework)."),
    # SIP grant.
    _g("sip", "admin", "bool", False, "Allows managing SIP trunks, dispatch rules and participants.",
       cli_flag="--sip-admin"),
    _g("sip", "call", "bool", False, "Allows placing outbound SIP calls.", cli_flag="--sip-call"),
    # Agent grants (LiveKit Cloud agents).
    _g("agent", "admin", "bool", False, "Allows creating, updating and deleting Cloud agents."),
    _g("agent", "simulationAdmin", "bool", False, "Allows managing agent simulations and scenarios."),
    _g("agent", "databaseAdmin", "bool", False, "Allows access to the project's agent databases."),
    _g("agent", "dispatchAdmin", "bool", False, "Allows managing the project's agent dispatch queue."),
    _g("agentEndpoint", "call", "bool", False, "Allows calling an agent's non-public HTTP endpoints."),
    _g("agentEndpoint", "agentName", "str", "", "Limits endpoint calls to this agent; empty means every agent.",
       default_text="every agent"),
    _g("agentEndpoint", "deployment", "str", "", "Limits endpoint calls to this deployment; empty means every deployment.",
       default_text="every deployment"),
    _g("agentThread", "all", "bool", False, "Grants every agent thread and scope of the project."),
    _g("agentThread", "scope", "str", "", "The scope in which agent threads may be listed and created."),
    _g("agentThread", "threadIds", "list[str]", (), "The agent threads that may be read, written and deleted."),
    _g("agentThread", "list", "bool", False, "Allows listing agent threads."),
    _g("agentThread", "create", "bool", False, "Allows creating agent threads."),
    _g("agentThread", "write", "bool", False, "Allows writing to agent threads."),
    _g("agentThread", "read", "bool", False, "Allows reading agent threads."),
    _g("agentThread", "delete", "bool", False, "Allows deleting agent threads."),
    # Inference and observability grants.
    _g("inference", "perform", "bool", False, "Allows using LiveKit Inference (hosted models).",
       cli_flag="--inference", lk_flag="--inference"),
    _g("observability", "write", "bool", False, "Allows publishing observability data (traces, metrics)."),
    # Room configuration applied when the join creates the room (protojson, unknown fields ignored).
    _g("participant", "roomConfig", "json", None, "Settings for the room if this join creates it (protojson; unknown fields are ignored)."),
    _g("roomConfig", "agents", "json", (), "Agents to dispatch into the room when it is created: a list of "
       '{"agentName", "metadata"}.', cli_flag="--agent", lk_flag="--agent"),
    _g("roomConfig", "name", "str", "", "The room name the configuration is for."),
    _g("roomConfig", "emptyTimeout", "int", 0, "Seconds an empty room stays open before it is closed.",
       default_text="server default"),
    _g("roomConfig", "departureTimeout", "int", 0, "Seconds the room stays open after the last participant leaves.",
       default_text="server default"),
    _g("roomConfig", "maxParticipants", "int", 0, "The most participants the room admits; 0 means no limit.",
       default_text="no limit"),
    _g("roomConfig", "metadata", "str", "", "Room metadata set when the room is created."),
    _g("roomConfig", "egress", "json", None, "Automatic egress (recording) started with the room."),
    _g("roomConfig", "minPlayoutDelay", "int", 0, "Minimum playout delay in milliseconds."),
    _g("roomConfig", "maxPlayoutDelay", "int", 0, "Maximum playout delay in milliseconds."),
    _g("roomConfig", "syncStreams", "bool", False, "Synchronises audio and video of each participant in the room."),
    _g("roomConfig", "tags", "json", None, "Tags attached to the room."),
)

# Groups in the order a form or a decoder shows them, with a label; the nested groups are claim objects.
GROUPS: dict[str, str] = {
    "jwt": "Token",
    "participant": "Participant",
    "video": "Video grant",
    "sip": "SIP grant",
    "agent": "Agent grant",
    "agentEndpoint": "Agent endpoint grant",
    "agentThread": "Agent thread grant",
    "inference": "Inference grant",
    "observability": "Observability grant",
    "roomConfig": "Room configuration",
}
# Top-level claims that hold an object of grants (the groups above that are claims themselves).
GRANT_OBJECTS = ("video", "sip", "agent", "agentEndpoint", "agentThread", "inference", "observability", "roomConfig")

# lk's one-letter aliases (cmd/lk/utils.go roomFlag, identityFlag; token.go --name), accepted by lkdebug too.
LK_SHORT_FLAGS = {"--room": "-r", "--identity": "-i", "--name": "-n"}

_BY_PATH = {g.path: g for g in GRANTS}


def grant(path: str) -> Grant | None:
    """The table row for "video.roomJoin", "name", "roomConfig.agents"...; None when LiveKit has no such claim."""
    return _BY_PATH.get(path)


def in_group(group: str) -> tuple[Grant, ...]:
    return tuple(g for g in GRANTS if g.group == group)


def parse_key_value(text: str) -> tuple[str, str]:
    """One `KEY=VALUE` attribute (the value may hold `=`); ValueError saying why it is not one."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"{text!r}: use KEY=VALUE")
    return key.strip(), value
