"""Whatever is in the user's files, load_settings answers with findings, never an exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lkdebug.core.model import Settings
from lkdebug.core.render import settings_to_dict
from lkdebug.core.sources import load_settings

NEAR_DOTENV = st.lists(
    st.tuples(
        st.sampled_from(["LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "NEXT_PUBLIC_LIVEKIT_URL",
                         "LIVEKIT_KEYS", "LIVEKIT_CONFIG", "export LIVEKIT_URL", "#", ""]),
        st.sampled_from(["=", "==", " = ", ":", ""]),
        st.text(max_size=40),
    ),
    max_size=8,
).map(lambda rows: "\n".join(f"{a}{b}{c}" for a, b, c in rows))

NEAR_YAML = st.one_of(
    st.text(max_size=200),
    st.builds(lambda k, s: f"keys:\n  {k}: {s}\n", st.text(max_size=20), st.text(max_size=40)),
    st.builds(lambda body: f"key_file: {body}\nwebhook:\n  api_key: {body}\n  urls: [{body}]\n", st.text(max_size=30)),
    st.just("[" * 2000),
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load(files: dict[str, bytes], environ: dict[str, str] | None = None) -> Settings:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, data in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        s = load_settings(root, environ=environ or {}, home=root, container=False, system_configs=())
        settings_to_dict(s)
        settings_to_dict(s, reveal=True)
        return s


@FAST
@given(st.binary(max_size=300))
def test_arbitrary_bytes_as_dotenv(data):
    _load({".env": data})


@FAST
@given(st.text(max_size=300))
def test_arbitrary_text_as_dotenv_local(text):
    _load({".env.local": text.encode("utf-8", "surrogatepass")})


@FAST
@given(NEAR_DOTENV)
def test_near_dotenv(text):
    _load({".env": text.encode("utf-8", "surrogatepass")})


@FAST
@given(NEAR_YAML)
def test_arbitrary_yaml_as_server_config_and_lk_config(text):
    data = text.encode("utf-8", "surrogatepass")
    _load({"livekit.yaml": data, ".livekit/cli-config.yaml": data, "livekit.toml": data})


@FAST
@given(NEAR_YAML, st.text(max_size=60))
def test_arbitrary_livekit_config_and_keys_in_the_environment(config, keys):
    _load({}, environ={"LIVEKIT_CONFIG": config, "LIVEKIT_KEYS": keys, "LIVEKIT_URL": keys})


def test_broken_files_become_findings():
    s = _load({".env": "\ufeff".encode("utf-16"), "livekit.yaml": b"keys: [unclosed\n",
               ".livekit/cli-config.yaml": b"- just\n- a list\n"})
    codes = {f.code for f in s.findings}
    assert {"env.encoding", "env.config_invalid"} <= codes
