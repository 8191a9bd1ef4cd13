"""The env lint, one rule at a time: every finding says what is wrong, the evidence and the fix."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lkdebug.core import envlint
from lkdebug.core.model import Setting, Settings, Severity, Source, Variable
from lkdebug.core.redact import fingerprint

SECRET = "fake-secret-0123456789-abcdefghijklmnop"


def lint(name: str, value: str, container: bool = False, source: str = ".env", line: int | None = 2):
    return envlint.lint_variable(Variable(name, value, source, line=line), container=container)


def codes_of(findings) -> list[str]:
    return [f.code for f in findings]


@pytest.mark.parametrize("name,role", [
    ("LIVEKIT_URL", "url"), ("NEXT_PUBLIC_LIVEKIT_URL", "url"), ("LIVEKIT_HOST", "url"), ("VITE_LIVEKIT_WS_URL", "url"),
    ("LIVEKIT_API_KEY", "api_key"), ("LIVEKIT_API_SECRET", "api_secret"), ("NEXT_PUBLIC_LIVEKIT_API_SECRET", "api_secret"),
    ("LIVEKIT_KEYS", "keys"), ("LIVEKIT_CONFIG", "config"), ("LIVEKIT_ROOM", "other"),
    ("LIVEKIT_SECRET", "api_secret"), ("LK_API_SECRET", "api_secret"), ("NEXT_PUBLIC_LK_API_SECRET", "api_secret"),
    ("LIVEKIT_CLOUD_API_SECRET", "api_secret"), ("LIVEKIT_KEY", "api_key"), ("LK_API_KEY", "api_key"),
    # Other services' secrets and keys under a LiveKit name are not the API key pair.
    ("LIVEKIT_TURN_SECRET", "other"), ("LIVEKIT_WEBHOOK_SECRET", "other"), ("LIVEKIT_EGRESS_S3_SECRET", "other"),
    ("LIVEKIT_REDIS_PASSWORD", "other"), ("LIVEKIT_SIP_TRUNK_KEY", "other"), ("LIVEKIT_EGRESS_GCP_API_KEY", "other"),
])
def test_roles(name, role):
    assert envlint.role_of(name) == role


@pytest.mark.parametrize("name,yes", [
    ("LIVEKIT_URL", True), ("EXPO_PUBLIC_LIVEKIT_URL", True), ("NEXT_PUBLIC_LK_SERVER_URL", True),
    ("GATSBY_LIVEKIT_URL", True), ("PATH", False), ("NEXT_PUBLIC_SUPABASE_URL", False),
])
def test_which_names_are_livekit_variables(name, yes):
    assert envlint.is_livekit_name(name) is yes


def test_client_prefix_longest_first():
    assert envlint.client_prefix("NUXT_PUBLIC_LIVEKIT_URL") == "NUXT_PUBLIC_"
    assert envlint.client_prefix("PUBLIC_LIVEKIT_URL") == "PUBLIC_"
    assert envlint.base_name("REACT_APP_LIVEKIT_URL") == "LIVEKIT_URL"


@pytest.mark.parametrize("value,what", [
    (SECRET + " ", "whitespace"), (" " + SECRET, "whitespace"), (SECRET + "\r", "carriage return"),
    (SECRET + "\n", "newline"), ("a\tb" + SECRET, "tab"), ("\ufeff" + SECRET, "byte-order mark"),
])
def test_whitespace_in_a_secret_is_an_error(value, what):
    f = next(f for f in lint("LIVEKIT_API_SECRET", value) if f.code == "env.whitespace")
    assert f.severity is Severity.ERROR and what in f.title and ".env line 2" in f.detail
    assert SECRET not in f.detail


def test_cr_from_the_process_environment_names_the_cause():
    f = lint("LIVEKIT_API_KEY", "APIabc123456789\r", source="process environment", line=None)[0]
    assert "CRLF" in f.detail and "dos2unix" in f.fix


@pytest.mark.parametrize("value", ['"wss://x.example.net"', "'APIabc123456789'", "`x`"])
def test_quotes_that_survived_parsing(value):
    assert "env.quoted" in codes_of(lint("LIVEKIT_URL", value))


@pytest.mark.parametrize("value", [
    "your_api_key_here", "changeme", "xxx", "<your secret>", "YOUR_LIVEKIT_API_SECRET", "wss://your-project.livekit.cloud",
    "replace-me", "...", "{{ secret }}",
])
def test_placeholders(value):
    assert "env.placeholder" in codes_of(lint("LIVEKIT_API_SECRET", value))


@pytest.mark.parametrize("value", [SECRET, "secret", "APIabc123456789", "wss://demo.livekit.cloud"])
def test_real_looking_values_are_not_placeholders(value):
    assert "env.placeholder" not in codes_of(lint("LIVEKIT_API_SECRET", value))


# The placeholder pattern as one IGNORECASE regex, before envlint split it by habit: is_placeholder must agree.
_ONE_PLACEHOLDER_PATTERN = re.compile(
    r"your[-_ .]?(own[-_ ]?)?(livekit|lk|api|project|server|key|secret|url|host|domain|app|token)"
    r"|change[-_ ]?me|replace[-_ ]?(me|this)|^x{3,}$|xxxx|<[^>]*>|\{\{.*\}\}|placeholder|^\.\.\.$|…"
    r"|^(todo|tbd|none|null|undefined|dummy|fake|test|example|api[-_]?key|api[-_]?secret|secret[-_]?key)$"
    r"|[-_]here$|^\*+$|insert[-_ ]?(your|key|secret|url)|example\.(com|org)",
    re.IGNORECASE,
)
# Pieces of the habits, in any case, with the characters that join or break them, and the few non-ASCII
# letters IGNORECASE folds onto ASCII ones (long s, dotless i, Kelvin sign).
_PIECES = st.sampled_from(["your", "own", "livekit", "lk", "api", "key", "secret", "url", "token", "change", "me",
                           "replace", "this", "x", "xxx", "<", ">", "{{", "}}", "placeholder", "...", ".", "…", "todo",
                           "none", "test", "example", "com", "org", "here", "*", "insert", "-", "_", " ", "\n", "a",
                           "ſ", "ı", "\u212a", "K", "S"])


@given(st.lists(st.one_of(_PIECES, st.text(max_size=3)), max_size=8).map("".join).map(
    lambda text: "".join(c.upper() if i % 3 == 0 else c for i, c in enumerate(text))))
def test_placeholder_split_by_habit_finds_what_the_one_pattern_found(text):
    assert envlint.is_placeholder(text) == (_ONE_PLACEHOLDER_PATTERN.search(text) is not None)


@pytest.mark.parametrize("text", [
    "your_api_secret_here", "TODO", "Api-Key", "secret_KEY", "XXX", "xxXx-y", "<x>", "a{{b}}c", "...", "s-HERE", "**",
    "Insert-URL", "EXAMPLE.org", "ſecret_key", "todo\n", "wss://x.livekit.cloud", "APIabc123456789", "a{{b\n}}", "todos"])
def test_placeholder_split_by_habit_on_chosen_texts(text):
    assert envlint.is_placeholder(text) == (_ONE_PLACEHOLDER_PATTERN.search(text) is not None)


def test_short_secret_quotes_the_server_log():
    f = next(f for f in lint("LIVEKIT_API_SECRET", "tooshort-but-real") if f.code == "env.secret_short")
    assert envlint.SERVER_SHORT_SECRET_LOG in f.detail and f.severity is Severity.WARNING


@pytest.mark.parametrize("name", ["LIVEKIT_TURN_SECRET", "LIVEKIT_WEBHOOK_SECRET", "NEXT_PUBLIC_LIVEKIT_TURN_SECRET"])
def test_other_secrets_under_a_livekit_name_get_no_api_secret_rules(name):
    """coturn's static-auth-secret or a webhook signing secret is not the API secret: its length and shape are its own."""
    assert not {"env.secret_short", "env.key_secret_swapped", "env.secret_exposed"} & set(codes_of(lint(name, "turnpass123")))
    assert not set(codes_of(lint(name, "APIabcdefgh12345"))) & {"env.key_secret_swapped"}


def test_the_dev_secret_is_not_called_short():
    assert "env.secret_short" not in codes_of(lint("LIVEKIT_API_SECRET", "secret"))


def test_key_and_secret_swapped():
    assert "env.key_secret_swapped" in codes_of(lint("LIVEKIT_API_SECRET", "APIabc123456789"))
    assert "env.key_secret_swapped" in codes_of(lint("LIVEKIT_API_KEY", SECRET))
    assert "env.key_secret_swapped" not in codes_of(lint("LIVEKIT_API_KEY", "APIabc123456789"))


def test_secret_under_a_client_prefix():
    for prefix in envlint.CLIENT_PREFIXES:
        f = next(f for f in lint(f"{prefix}LIVEKIT_API_SECRET", SECRET) if f.code == "env.secret_exposed")
        assert f.severity is Severity.ERROR and prefix in f.detail and "rotate" in f.fix


def test_non_ascii_secret():
    assert "env.non_ascii" in codes_of(lint("LIVEKIT_API_SECRET", SECRET + "…x"))


def test_empty():
    f = lint("LIVEKIT_URL", "")[0]
    assert f.code == "env.empty" and "still counts as set" in f.detail


@pytest.mark.parametrize("name,value,code,severity", [
    ("LIVEKIT_URL", "demo.livekit.cloud", "env.url_scheme", Severity.ERROR),
    ("LIVEKIT_URL", "=wss://demo.livekit.cloud", "env.url_scheme", Severity.ERROR),
    ("LIVEKIT_URL", "tcp://demo.livekit.cloud", "env.url_scheme", Severity.ERROR),
    ("LIVEKIT_URL", "ws://demo.livekit.cloud", "env.url_scheme", Severity.WARNING),
    ("NEXT_PUBLIC_LIVEKIT_URL", "https://demo.livekit.cloud", "env.url_scheme", Severity.INFO),
    ("LIVEKIT_HOST", "wss://demo.livekit.cloud", "env.url_scheme", Severity.WARNING),
    ("LIVEKIT_URL", "wss://demo.livekit.cloud/rtc", "env.url_path", Severity.WARNING),
    ("LIVEKIT_URL", "wss://demo.example.net/livekit", "env.url_path", Severity.INFO),
    ("LIVEKIT_URL", "wss://demo.example.net?x=1", "env.url_path", Severity.WARNING),
    ("LIVEKIT_URL", "ws://localhost:7881", "env.url_port", Severity.ERROR),
    ("LIVEKIT_URL", "wss://demo.example.net:7880", "env.url_port", Severity.WARNING),
    ("LIVEKIT_URL", "ws://localhost:3000", "env.url_port", Severity.WARNING),
    ("LIVEKIT_URL", "ws://host:99999", "env.url_invalid", Severity.ERROR),
    ("LIVEKIT_URL", "wss://", "env.url_invalid", Severity.ERROR),
])
def test_url_rules(name, value, code, severity):
    found = [f for f in lint(name, value) if f.code == code]
    assert found and found[0].severity is severity, lint(name, value)


@pytest.mark.parametrize("value", ["wss://demo.livekit.cloud", "ws://localhost:7880", "https://demo.livekit.cloud",
                                   "ws://192.168.1.20:7880", "ws://livekit:7880"])
def test_good_urls_have_no_findings(value):
    assert lint("LIVEKIT_URL", value) == []


def test_localhost_inside_a_container():
    assert "env.url_localhost" in codes_of(lint("LIVEKIT_URL", "ws://localhost:7880", container=True))
    assert "env.url_localhost" not in codes_of(lint("LIVEKIT_URL", "ws://localhost:7880", container=False))


def settings(url="wss://demo.livekit.cloud", key="APIabc123456789", secret=SECRET, **kw) -> Settings:
    s = Settings(**kw)
    s.url = Setting("LIVEKIT_URL", url, ".env") if url else None
    s.api_key = Setting("LIVEKIT_API_KEY", key, ".env") if key else None
    s.api_secret = Setting("LIVEKIT_API_SECRET", secret, ".env") if secret else None
    return s


def test_dev_keys_with_a_remote_url():
    f = envlint.lint_settings(settings(key="devkey", secret="secret"))
    assert codes_of(f) == ["env.dev_key_remote"] and f[0].severity is Severity.ERROR
    assert codes_of(envlint.lint_settings(settings(url="ws://localhost:7880", key="devkey", secret="secret"))) == ["env.dev_key"]


def test_same_value_for_key_and_secret():
    assert "env.key_secret_swapped" in codes_of(envlint.lint_settings(settings(key=SECRET)))


def test_missing_each_setting_separately():
    s = settings(url=None, secret=None, variables=[Variable("LIVEKIT_API_KEY", "APIabc123456789", ".env")])
    titles = [f.title for f in envlint.lint_settings(s) if f.code == "env.missing"]
    assert titles == ["No LiveKit URL found", "No LiveKit API secret found"]


def test_nothing_at_all_suggests_the_demo():
    f = envlint.lint_settings(settings(None, None, None), looked_in=["process environment", "/p/.env"])
    assert len(f) == 1 and "lkdebug demo" in f[0].fix and "/p/.env" in f[0].detail


def test_server_keys_short_and_empty():
    s = settings(sources=[Source("server-config", "/p/livekit.yaml", True)], server_keys={"APIabc123456789": "short"})
    f = next(f for f in envlint.lint_settings(s) if f.code == "env.secret_short")
    assert "/p/livekit.yaml" in f.detail
    s = settings(server_keys={})
    assert "env.server_no_keys" in codes_of(envlint.lint_settings(s))


def test_conflict_shows_fingerprints_not_secrets():
    variables = [
        Variable("LIVEKIT_API_SECRET", SECRET, ".env.local", wins=True, line=3, note="wins over .env: because"),
        Variable("LIVEKIT_API_SECRET", SECRET + "x", ".env", wins=False, line=1, note="overridden by .env.local: because"),
    ]
    f = next(f for f in envlint.lint_settings(settings(variables=variables)) if f.code == "env.conflict")
    assert fingerprint(SECRET) in f.detail and SECRET not in f.detail and "Why: wins over .env" in f.detail


def test_url_variables_on_different_hosts():
    variables = [Variable("LIVEKIT_URL", "wss://a.livekit.cloud", ".env"),
                 Variable("NEXT_PUBLIC_LIVEKIT_URL", "wss://b.livekit.cloud", ".env")]
    assert "env.url_mismatch" in codes_of(envlint.lint_settings(settings(variables=variables)))
