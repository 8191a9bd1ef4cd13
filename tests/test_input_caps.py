"""What `token decode` examines is capped (issue 8: a 20 MB URL-shaped paste used 802 MiB); real tokens still decode."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

from lkdebug.core.decode import decode
from lkdebug.core.mint import build_claims, mint
from lkdebug.core.paste import MAX_INPUT

SECRET = "cap-secret-0123456789-abcdefghijklmnopq"


def decode_cli(stdin, *, memory: int = 512 << 20) -> subprocess.CompletedProcess:
    def limit() -> None:  # past the cap nothing is examined, so this is plenty; before, it died of MemoryError
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([sys.executable, "-m", "lkdebug", "token", "decode", "--json"], stdin=stdin,
                          capture_output=True, timeout=60, preexec_fn=limit, env={**os.environ, "NO_COLOR": "1"})


def test_a_20_mb_url_shaped_paste_is_refused_in_a_finding(tmp_path):
    paste = tmp_path / "paste.txt"
    paste.write_text("https://meet.livekit.io/custom?liveKitUrl=wss://x&" + "a=b&" * 5_000_000)
    with paste.open("rb") as stdin:
        result = decode_cli(stdin)
    assert result.returncode == 1, result.stderr.decode()
    doc = json.loads(result.stdout)
    assert doc["looks_like"] == "over 2 MiB of text"
    assert [f["code"] for f in doc["findings"]] == ["token.not_jwt"]


def test_an_endless_stdin_is_read_only_to_the_cap():
    with open("/dev/zero", "rb") as stdin:
        result = decode_cli(stdin)
    assert result.returncode == 1 and json.loads(result.stdout)["looks_like"] == "over 2 MiB of text"


def test_a_token_with_a_megabyte_of_metadata_still_decodes():
    claims = build_claims(api_key="APIcapKEY", identity="a", video={"roomJoin": True, "room": "r"},
                          metadata="m" * 1_000_000, now=time.time())
    token = mint(claims, SECRET)
    assert len(token) < MAX_INPUT
    decoded = decode(token, now=time.time())
    assert decoded.raw == token and len(decoded.claims["metadata"]) == 1_000_000
