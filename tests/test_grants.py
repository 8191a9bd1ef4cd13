"""The grant table: complete against livekit-api's grant types, consistent with the CLI's flags."""

from __future__ import annotations

import dataclasses
import re

import pytest

from lkdebug.cli import build_parser
from lkdebug.core.grants import GRANT_OBJECTS, GRANTS, GROUPS, TRACK_SOURCES, grant, in_group

TYPES = {"bool", "tristate", "str", "int", "list[str]", "map", "json"}


def test_paths_unique_and_well_formed():
    paths = [g.path for g in GRANTS]
    assert len(paths) == len(set(paths))
    for row in GRANTS:
        assert row.group in GROUPS
        assert row.type in TYPES
        assert row.meaning.endswith(".") and len(row.meaning) < 200
        expected = row.json_name if row.group in ("participant", "jwt") else f"{row.group}.{row.json_name}"
        assert row.path == expected
        assert grant(row.path) is row


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


@pytest.mark.parametrize(
    "cls_name, group",
    [("VideoGrants", "video"), ("SIPGrants", "sip"), ("AgentGrants", "agent"), ("InferenceGrants", "inference"),
     ("ObservabilityGrants", "observability"), ("AgentEndpointGrants", "agentEndpoint"),
     ("AgentThreadGrants", "agentThread")],
)
def test_every_livekit_api_grant_field_is_in_the_table(cls_name, group):
    from livekit import api

    cls = getattr(api.access_token, cls_name)
    for f in dataclasses.fields(cls):
        assert grant(f"{group}.{_camel(f.name)}") is not None, f"{group}.{_camel(f.name)}"


def test_every_participant_claim_is_in_the_table():
    from livekit.api.access_token import Claims

    for f in dataclasses.fields(Claims):
        name = _camel(f.name)
        if name in ("identity",):  # the wire name is sub
            continue
        assert grant(name) is not None or name in GRANT_OBJECTS, name


def test_room_config_fields_are_in_the_table():
    from livekit.protocol.room import RoomConfiguration

    for f in RoomConfiguration.DESCRIPTOR.fields:
        assert grant(f"roomConfig.{f.json_name}") is not None, f.json_name


def test_defaults_follow_the_protocol():
    # reference/livekit-server-behaviour.md §1.2: tri-state *bool fields and their defaults
    assert [(g.json_name, g.default) for g in in_group("video") if g.type == "tristate"] == [
        ("canPublish", True), ("canSubscribe", True), ("canPublishData", True),
        ("canUpdateOwnMetadata", False), ("canSubscribeMetrics", False), ("canManageAgentSession", False),
    ]
    assert grant("video.canPublishData").default_label == "same as canPublish"
    assert grant("video.canPublishSources").choices == TRACK_SOURCES
    assert grant("kind").choices == ("standard", "ingress", "egress", "sip", "agent", "connector", "bridge")
    assert grant("video.roomJoin").default_label == "false"


def _create_parser():
    parser = build_parser()
    token = next(a for a in parser._actions if getattr(a, "choices", None) and "token" in a.choices).choices["token"]
    return next(a for a in token._actions if getattr(a, "choices", None) and "create" in a.choices).choices["create"]


def test_every_cli_flag_in_the_table_exists_on_token_create():
    options = {o for action in _create_parser()._actions for o in action.option_strings}
    for row in GRANTS:
        if row.cli_flag:
            assert row.cli_flag in options, row.cli_flag


def test_every_grant_flag_of_token_create_is_described_by_the_table():
    flags = {g.cli_flag for g in GRANTS}
    grant_flags = [o for action in _create_parser()._actions for o in action.option_strings
                   if re.match(r"--(join|admin|create|list|record|ingress-admin|hidden|can-|allow-source|sip-)", o)
                   and not o.startswith("--no-")]
    assert grant_flags and all(flag in flags for flag in grant_flags), set(grant_flags) - flags
