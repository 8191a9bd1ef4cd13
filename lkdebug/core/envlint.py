"""The env lint: what is wrong with each LiveKit setting, written for the person at the terminal.

`lint_variable` judges one occurrence of one variable on its own (whitespace, quotes, placeholders,
URL shape, a secret under a client prefix...). `lint_settings` judges the whole picture: missing
settings, sources that disagree, dev keys pointed at a real server, a key the server config does not
hold. Neither ever prints a secret: secrets appear as their length and SHA-256 fingerprint.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from urllib.parse import urlsplit

from lkdebug.core import lazyre
from lkdebug.core import redact
from lkdebug.core.host import is_local_host, is_loopback_host
from lkdebug.core.model import Finding, Settings, Severity, Variable
from lkdebug.core.records import dataclass, replace

# Prefixes that frameworks copy into the browser bundle. Longer ones first: NEXT_PUBLIC_ is not PUBLIC_.
CLIENT_PREFIXES = ("NEXT_PUBLIC_", "NUXT_PUBLIC_", "EXPO_PUBLIC_", "REACT_APP_", "VITE_", "GATSBY_", "PUBLIC_")

DEV_API_KEY, DEV_API_SECRET = "devkey", "secret"  # what `livekit-server --dev` uses when no keys are set
MIN_SECRET_LENGTH = 32
SERVER_SHORT_SECRET_LOG = "secret is too short, should be at least 32 characters for security"
SERVER_KEYS_PARSE_ERROR = 'Could not parse keys, it needs to be exactly, "key: secret", including the space'
SERVER_NO_KEYS = "one of key-file or keys must be provided"
SERVER_WEBHOOK_KEY = "api_key is required to use webhooks"

# `livekit-server generate-keys` prints keys like APIxxxxxxxxxxxx: "API" and about 12 letters/digits.
API_KEY_SHAPE = lazyre.compile(r"^API[A-Za-z0-9]{8,20}$")
# Placeholder text copied from templates, matched whatever its case: each habit as (needle, pattern), the
# needle a piece of text every match of the pattern holds once lowered, and the values that are a
# placeholder when they are all there is. Compiled as one IGNORECASE pattern it cost 5 M instructions, more
# than the rest of the lint; `is_placeholder` tries a habit's pattern only on ASCII text that holds its needle.
_PLACEHOLDER_HABITS = (
    ("your", r"your[-_ .]?(own[-_ ]?)?(livekit|lk|api|project|server|key|secret|url|host|domain|app|token)"),
    ("change", r"change[-_ ]?me"), ("replace", r"replace[-_ ]?(me|this)"), ("xxx", r"^x{3,}$"), ("xxxx", r"xxxx"),
    ("<", r"<[^>]*>"), ("{{", r"\{\{.*\}\}"), ("placeholder", r"placeholder"), ("...", r"^\.\.\.$"), ("…", r"…"),
    ("here", r"[-_]here$"), ("*", r"^\*+$"), ("insert", r"insert[-_ ]?(your|key|secret|url)"),
    ("example.", r"example\.(com|org)"),
)
_PLACEHOLDER_WORDS = frozenset({
    "todo", "tbd", "none", "null", "undefined", "dummy", "fake", "test", "example", *(
        f"{a}{sep}{b}" for a, b in (("api", "key"), ("api", "secret"), ("secret", "key")) for sep in ("", "-", "_"))})
PLACEHOLDER = lazyre.compile("|".join(pattern for _, pattern in _PLACEHOLDER_HABITS)
                             + f"|^({'|'.join(sorted(_PLACEHOLDER_WORDS))})$", re.IGNORECASE)  # words: no metacharacter


def is_placeholder(text: str) -> bool:
    """`PLACEHOLDER.search(text)`, for ASCII text without compiling it: lowering ASCII folds its case exactly (what
    else IGNORECASE folds, such as ſ, ı and the Kelvin sign, is not ASCII), and `^`/`$` are the whole `text`
    (a lint's stripped value ends in no newline; with one, the whole pattern decides)."""
    if not text.isascii() or text.endswith("\n"):
        return PLACEHOLDER.search(text) is not None
    lowered = text.lower()
    return lowered in _PLACEHOLDER_WORDS or any(needle in lowered and re.search(habit, lowered)
                                                for needle, habit in _PLACEHOLDER_HABITS)

# A name holds the LiveKit server's URL when what follows LIVEKIT_ (or LK_) is only these words, one of them
# naming an address: LIVEKIT_URL, LIVEKIT_WS_URL, LIVEKIT_SERVER_URL, NEXT_PUBLIC_LK_SERVER_URL, LIVEKIT_HOST.
# Any other word names another service's URL (LIVEKIT_DB_URL, LIVEKIT_REDIS_URL, LIVEKIT_WEBHOOK_URL).
_URL_WORDS = frozenset({"URL", "URI", "HOST", "WS", "WSS", "ENDPOINT", "SERVER"})
_URL_QUALIFIERS = frozenset({"API", "HTTP", "HTTPS", "PUBLIC", "CLOUD", "PROJECT", "BASE", "SIGNAL", "SIGNALING",
                             "SIGNALLING", "RTC", "INTERNAL", "EXTERNAL"})
# Likewise a name holds the API key or secret only when its other words qualify it: LIVEKIT_API_SECRET,
# LIVEKIT_SECRET, LK_API_SECRET, LIVEKIT_CLOUD_API_KEY. LIVEKIT_TURN_SECRET, LIVEKIT_WEBHOOK_SECRET or
# LIVEKIT_EGRESS_S3_SECRET hold another service's secret: the API secret's rules (32 characters, not 'API...')
# are not theirs.
_CREDENTIAL_QUALIFIERS = frozenset({"API", "CLOUD", "PROJECT", "SERVER"})
_LIVEKIT_TAIL = lazyre.compile(r"(?:^|_)(?:LIVEKIT|LK)_([A-Z0-9_]+)$")
_SERVER_API_NAME = lazyre.compile(r"(^|_)(HTTP|HTTPS|API_URL|HOST)(_|$)")


def client_prefix(name: str) -> str | None:
    """The framework prefix that ships this variable to the browser, if any."""
    upper = name.upper()
    return next((p for p in CLIENT_PREFIXES if upper.startswith(p)), None)


def base_name(name: str) -> str:
    """`NEXT_PUBLIC_LIVEKIT_URL` -> `LIVEKIT_URL`."""
    prefix = client_prefix(name)
    return name[len(prefix):] if prefix else name


def is_livekit_name(name: str) -> bool:
    """LIVEKIT_* anywhere in the name, or LK_* behind a client prefix (NEXT_PUBLIC_LK_SERVER_URL)."""
    upper = name.upper()
    return "LIVEKIT" in upper or base_name(upper).startswith("LK_")


def role_of(name: str) -> str:
    """What a variable holds: url, api_key, api_secret, keys (LIVEKIT_KEYS), config, token, or other."""
    base = base_name(name.upper())
    if base.endswith("LIVEKIT_KEYS"):
        return "keys"
    if base == "LIVEKIT_CONFIG":
        return "config"
    if base.endswith(("_TOKEN", "_JWT")):
        return "token"
    words = _tail_words(base)
    if "SECRET" in words and words <= {"SECRET", "KEY"} | _CREDENTIAL_QUALIFIERS:
        return "api_secret"
    if words and words <= {"KEY"} | _CREDENTIAL_QUALIFIERS and base.endswith("KEY"):
        return "api_key"
    return "url" if words & _URL_WORDS and words <= _URL_WORDS | _URL_QUALIFIERS else "other"


def _tail_words(base: str) -> set[str]:
    """The words after LIVEKIT_ (or LK_): {"API", "SECRET"} for LIVEKIT_API_SECRET."""
    tail = _LIVEKIT_TAIL.search(base)
    return set(tail.group(1).split("_")) if tail else set()


def _finding(code: str, severity: Severity, title: str, detail: str, fix: str | None) -> Finding:
    return Finding(code=code, severity=severity, area="env", title=title, detail=detail, fix=fix)


def where(var: Variable) -> str:
    """`.env.local line 3` or `process environment`."""
    return f"{var.source} line {var.line}" if var.line else var.source


def describe(name: str, value: str) -> str:
    """A value as a finding may show it: secrets by length and fingerprint only."""
    if redact.kind_of_variable(name) == "secret" or role_of(name) == "api_secret":
        return redact.mask_secret(value)
    return repr(redact.mask_value(name, value))


def url_host(value: str) -> str | None:
    """The host of a URL-ish value, tolerating a missing scheme; None when there is none."""
    text = value.strip()
    try:
        parts = urlsplit(text if "://" in text else "//" + text)
        return parts.hostname
    except ValueError:
        return None


# --- one variable -------------------------------------------------------------------------------


def lint_variable(var: Variable, *, container: bool = False, server_port: int | None = None) -> list[Finding]:
    """Everything wrong with one occurrence of one variable, judged on its own (a URL against the local
    server config's `server_port`, when there is one)."""
    name, value, role = var.name, var.value, role_of(var.name)
    at = where(var)
    out: list[Finding] = []
    if value == "":
        out.append(_finding(
            "env.empty", Severity.WARNING if role in ("url", "api_key", "api_secret") else Severity.INFO,
            f"{name} is set but empty in {var.source}",
            f"{at} sets {name} to an empty string. An empty variable still counts as set: dotenv loaders "
            "will not replace it with a value from another file.",
            f"Give {name} a value in {var.source}, or remove the line (`unset {name}` if it is exported in your shell).",
        ))
        return out
    if role not in ("config", "keys"):  # YAML bodies are multi-line by nature
        out += _whitespace(var, at)
    out += _control_chars(var, at)
    stripped = value.strip().lstrip("\ufeff")
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"`":
        out.append(_finding(
            "env.quoted", Severity.ERROR if role in ("api_key", "api_secret", "url") else Severity.WARNING,
            f"{name} still has quotes around its value",
            f"{at}: the value starts and ends with {stripped[0]}; the quotes survived parsing and are part of the "
            f"value ({len(value)} characters). This happens with double quoting (\"'...'\"), "
            "`export X='\"...\"'`, or YAML/compose files that quote twice.",
            f"Remove one level of quotes around {name}.",
        ))
    if is_placeholder(stripped):
        out.append(_finding(
            "env.placeholder", Severity.ERROR if role in ("api_key", "api_secret", "url") else Severity.WARNING,
            f"{name} looks like placeholder text",
            f"{at}: {describe(name, value)} looks like an example value copied from a template, not a real one.",
            f"Put the real URL in {name} (LiveKit Cloud: the project's wss:// URL; self-hosted: your server's "
            "address)." if role == "url" else f"Put the real value in {name} (LiveKit Cloud: project settings -> "
            "API keys; self-hosted: the `keys:` of your livekit.yaml).",
        ))
    if role == "api_secret":
        out += _secret_checks(var, at, stripped)
    elif role == "api_key":
        out += _key_checks(var, at, stripped)
    elif role == "url":
        out += lint_url(name, stripped, at, container=container, server_port=server_port)
    return out


def _whitespace(var: Variable, at: str) -> list[Finding]:
    value, name = var.value, var.name
    problems = []
    if value != value.strip():
        problems.append("leading or trailing whitespace")
    for char, label in (("\t", "a tab"), ("\r", "a carriage return (CR)"), ("\n", "a newline")):
        if char in value:
            problems.append(label)
    if "\ufeff" in value:
        problems.append("a byte-order mark (U+FEFF)")
    if not problems:
        return []
    crlf = "\r" in value and var.source == "process environment"
    critical = role_of(name) in ("api_key", "api_secret")
    return [_finding(
        "env.whitespace", Severity.ERROR if critical else Severity.WARNING,
        f"{name} contains {', '.join(problems)}",
        f"{at}: the value is {len(value)} characters with {len(value.strip())} visible; "
        + ("the invisible characters become part of the key or secret, so every signature "
           "check fails (`token signature is invalid`)." if critical else "most SDKs do not trim it.")
        + (" A trailing CR usually means a Windows (CRLF) file was loaded with `source` or "
           "`export $(cat .env)`." if crlf else ""),
        f"Remove the extra characters from {name}"
        + (" (convert the file with `dos2unix`, or load it with a dotenv loader)." if crlf else "."),
    )]


def _control_chars(var: Variable, at: str) -> list[Finding]:
    """Escape sequences (ESC, C1, bidi overrides) in a value: pasted terminal output, or a file made to attack
    whoever prints it. Tab, CR and newline are `env.whitespace`'s."""
    found = sorted(set(redact.control_characters(var.value)) - set("\t\r\n"))
    if not found:
        return []
    shown = ", ".join(redact.visible(char) for char in found[:6]) + (" ..." if len(found) > 6 else "")
    return [_finding(
        "env.control_chars", Severity.WARNING, f"{redact.visible(var.name)} holds control characters ({shown})",
        f"{at}: the value holds terminal control characters. A terminal that prints it raw obeys them: it can "
        "change the window title, overwrite the clipboard (OSC 52) or clear the screen. lkdebug shows them "
        "escaped; no LiveKit setting needs them.",
        f"Remove them from {redact.visible(var.name)} in {redact.visible(var.source)}, and check where the file came from.",
    )]


def _secret_checks(var: Variable, at: str, secret: str) -> list[Finding]:
    name = var.name
    out: list[Finding] = []
    prefix = client_prefix(name)
    if prefix:
        out.append(_exposed(var, at))
    if secret.startswith("API") and API_KEY_SHAPE.match(secret):  # the pattern's compile only for a likely key
        out.append(_finding(
            "env.key_secret_swapped", Severity.ERROR,
            f"{name} looks like an API key, not a secret",
            f"{at}: the value is {len(secret)} characters and starts with 'API', like the keys "
            "`livekit-server generate-keys` prints. Secrets are longer random strings.",
            "Check that the key and secret are not swapped (or the key pasted twice).",
        ))
    elif secret != DEV_API_SECRET and len(secret) < MIN_SECRET_LENGTH:
        out.append(short_secret(name, at, secret))
    if not secret.isascii():
        out.append(_finding(
            "env.non_ascii", Severity.WARNING,
            f"{name} contains non-ASCII characters",
            f"{at}: the secret has characters outside ASCII (smart quotes or a pasted ellipsis are typical). "
            "Older servers answered such tokens with `go-jose/go-jose: error in cryptographic primitive`.",
            "Copy the secret again as plain text, or generate a new one with `livekit-server generate-keys`.",
        ))
    return out


def short_secret(name: str, at: str, secret: str) -> Finding:
    return _finding(
        "env.secret_short", Severity.WARNING,
        f"{name} is shorter than {MIN_SECRET_LENGTH} characters",
        f"{at}: the secret is {len(secret)} characters. livekit-server still starts, but logs "
        f"`{SERVER_SHORT_SECRET_LOG}`, and SDKs such as .NET and jwt.io refuse HMAC keys under 256 bits.",
        "Generate a proper pair with `livekit-server generate-keys` (secrets of 32+ characters).",
    )


def _exposed(var: Variable, at: str) -> Finding:
    prefix = client_prefix(var.name) or ""
    return _finding(
        "env.secret_exposed", Severity.ERROR,
        f"{var.name} ships the API secret to the browser",
        f"{at}: variables starting with {prefix} are copied into the client bundle, so anyone who opens "
        "the page can read the secret and mint tokens for any room.",
        f"Rename it without {prefix} (e.g. {base_name(var.name)}), mint tokens on the server only, "
        "and rotate the secret: assume it has leaked.",
    )


def _key_checks(var: Variable, at: str, key: str) -> list[Finding]:
    if len(key) >= MIN_SECRET_LENGTH and not key.startswith("API") and " " not in key:
        return [_finding(
            "env.key_secret_swapped", Severity.ERROR,
            f"{var.name} looks like a secret, not an API key",
            f"{at}: the value is {len(key)} characters; API keys are short (e.g. 'API' and about 12 letters), "
            "secrets are the long random part. The server looks the key up by name, answering `invalid API key`.",
            "Check that the key and secret are not swapped.",
        )]
    return []


def lint_url(name: str, url: str, at: str, *, container: bool = False, server_port: int | None = None) -> list[Finding]:
    """A LiveKit URL setting judged by the one URL model (`url.findings`): ws(s) for clients, http(s) for server APIs."""
    from lkdebug.core import url as livekit_url  # the lint's: discovery (`token decode`) judges no URL

    base = base_name(name.upper())
    # Each pattern only for a name holding the letters every match of it holds: LIVEKIT_URL compiles neither.
    client = client_prefix(name) is not None or ("WS" in base and re.search(r"(^|_)WSS?(_|$)", base) is not None)
    server_api = (not client and ("HTTP" in base or "API_URL" in base or "HOST" in base)
                  and _SERVER_API_NAME.search(base) is not None)
    # A client-prefixed URL is used by the browser, outside any container.
    return livekit_url.findings(livekit_url.parse(url), subject=name, at=at, area="env",
                                usage="client" if client else "server_api" if server_api else "any",
                                container=container and not client_prefix(name), server_port=server_port)


# --- the whole picture --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Loader:
    """A process that loads dotenv files by itself rather than in the framework's order, in the words of
    its finding: who it is, the call that loads, and the fixes."""

    code: str
    who: str  # "a Python agent"
    call: str  # "load_dotenv()"
    project: str  # "a Python project"
    others: str  # what reads the winning file instead, with its verb
    default_reads: str  # how its call reads with no file named
    load_by_name: str  # the fix when it does not read the file: {file}, {first}
    load_first: str  # the fix when it reads it after another: {file}

    @property
    def whose(self) -> str:
        return f"{self.who[0].upper()}{self.who[1:]}'s {self.call}"


_PYTHON_AGENT = _Loader(
    "env.python_dotenv", "a Python agent", "load_dotenv()", "a Python project", "the web app (Next.js, Vite) reads",
    "load_dotenv() reads only `.env` (searching up from the calling script)",
    "Call load_dotenv({file!r}) in the agent as well, or keep the values in {first}.",
    "Load {file} first in the agent (load_dotenv never overrides), or keep one value.")
_NODE_SERVER = _Loader(
    "env.node_dotenv", "a Node server", "dotenv", "a Node server that loads dotenv itself",
    "Next.js, Vite and lkdebug's checks read",
    "dotenv (`import 'dotenv/config'`, `node -r dotenv/config`, `dotenv.config()` without `path`) reads only `.env`, "
    "in the folder the server starts in",
    "Load it by name in the server: `dotenv.config({{ path: ['{file}', '{first}'] }})` (the first file that sets a "
    "variable wins), or keep the values in {first}.",
    "Load {file} first (`path: ['{file}', ...]`: dotenv never overrides a variable already set), or keep one value.")


def lint_settings(settings: Settings, *, looked_in: Sequence[str] = (),
                  python_dotenv: Sequence[str] | None = None, node_dotenv: Sequence[str] | None = None,
                  nested: Sequence[str] = ()) -> list[Finding]:
    """Findings that need more than one variable: missing, conflicts, dev keys, server key mismatch.
    `python_dotenv`: the dotenv files a Python agent in the project loads (None: not a Python project;
    empty: it loads them in a way lkdebug cannot read); `node_dotenv` the same for a Node server that loads
    dotenv itself (None: none does). `nested`: the folders below that hold dotenv files (a monorepo's
    apps/web), named when nothing is found here."""
    loaders = [(loader, tuple(files)) for loader, files in ((_PYTHON_AGENT, python_dotenv), (_NODE_SERVER, node_dotenv)) if files]
    out: list[Finding] = []
    out += _missing(settings, looked_in, nested)
    out += _conflicts(settings, loaders)
    out += _url_mismatch(settings.variables)
    out += _pair(settings)
    out += _server_keys(settings)
    out += _secret_elsewhere(settings)
    out += _exposed_by_value(settings)
    for loader, files in loaders:
        out += _own_dotenv(settings, loader, files)
    return out


def _missing(settings: Settings, looked_in: Sequence[str], nested: Sequence[str] = ()) -> list[Finding]:
    missing = [label for label, s in (("URL", settings.url), ("API key", settings.api_key),
                                      ("API secret", settings.api_secret)) if s is None]
    if not missing:
        return []
    places = "\n".join(f"  {p}" for p in looked_in)
    if len(missing) == 3 and not settings.variables:
        return [_finding(
            "env.missing", Severity.ERROR, "No LiveKit settings found",
            "lkdebug looked for LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET in:\n" + places
            + ("\nFolders below hold dotenv files (a monorepo?): " + ", ".join(nested) if nested else ""),
            f"Run lkdebug in the app's folder: `--dir {nested[0]}`." if nested else
            "Set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET (see .env.example), point lkdebug at your "
            "project with --dir or --env-file, or run `lkdebug demo` to try lkdebug against a local stand-in server.",
        )]
    server_configs = {s.path for s in settings.sources if s.kind == "server-config" and s.loaded}
    if missing == ["URL"] and settings.api_secret is not None and settings.api_secret.source in server_configs:
        # The LiveKit host: its server config is the whole setup, and a server config names no URL.
        from lkdebug.core.url import LIVEKIT_PORT

        local = f"ws://127.0.0.1:{settings.server_port or LIVEKIT_PORT}"
        return [_finding(
            "env.missing", Severity.INFO, "No LiveKit URL set: this looks like the LiveKit host",
            f"The key and secret come from {settings.api_secret.source}, and nothing sets LIVEKIT_URL; a server "
            "config names no URL. An app running here would need LIVEKIT_URL.",
            f"To probe this server, pass --url {local}.",
        )]
    names = {"URL": "LIVEKIT_URL", "API key": "LIVEKIT_API_KEY", "API secret": "LIVEKIT_API_SECRET"}
    return [_finding(
        "env.missing", Severity.ERROR, f"No LiveKit {label} found",
        f"{names[label]} is not set in the process environment or any dotenv file lkdebug read, "
        "and no lk CLI project supplies it.",
        f"Set {names[label]} (in .env.local for Next.js, .env for python-dotenv)"
        + (", or pass --api-secret-file FILE" if label == "API secret" else
           ", or pass --url" if label == "URL" else ", or pass --api-key") + ".",
    ) for label in missing]


def _conflicts(settings: Settings, loaders: Sequence[tuple[_Loader, tuple[str, ...]]]) -> list[Finding]:
    """Sources that disagree: which one wins and why. What the user can get wrong is a warning: a shell
    `export` or an --env-file beating the project's files, a `.local` file (the developer's own values) beaten by
    one that is not (Vite's `.env.development` over `.env.local`), or a process that loads dotenv itself (a
    Python agent's load_dotenv(), a Node server's dotenv) and gets another value than the web app. The
    framework's own layering (`.env.local` over `.env`, both read by the one process) is an info that says
    which file wins."""
    by_name: dict[str, list[Variable]] = defaultdict(list)
    for var in settings.variables:
        if var.wins or var.note.startswith("overridden"):
            by_name[var.name].append(var)
    loaded = [(loader, files, _agent_values(settings, files)) for loader, files in loaders]
    resolved = {s.name for s in (settings.url, settings.api_key, settings.api_secret) if s is not None}
    out = []
    for name, occurrences in by_name.items():
        if len({v.value for v in occurrences}) < 2:
            continue
        winner = next(v for v in occurrences if v.wins)
        losers = [v for v in occurrences if not v.wins]
        main = role_of(name) in ("url", "api_key", "api_secret")
        lines = [f"{'-> ' if v.wins else '   '}{where(v)}: {describe(name, v.value)}" for v in occurrences]
        only_space = len({v.value.strip() for v in occurrences}) == 1
        splits = [(loader, files, values[name]) for loader, files, values in loaded
                  if name in values and values[name].value != winner.value]
        split = bool(splits)
        layered = (all(v.source.startswith(".env") for v in occurrences) and not split
                   and not (not winner.source.endswith(".local") and any(v.source.endswith(".local") for v in losers)))
        out.append(_finding(
            "env.conflict", Severity.WARNING if main and not layered else Severity.INFO,
            f"{name} differs between {len(occurrences)} sources; {winner.source} wins",
            "\n".join(lines) + f"\nWhy: {winner.note}"
            + ("\nThe values differ only in whitespace." if only_space else "")
            + "".join(f"\n{loader.whose} reads {' and '.join(files)}, so it runs with {gets.source}'s value instead."
                      for loader, files, gets in splits)
            + (f"\nThat is the framework's own layering (defaults in {losers[0].source}, overridden by {winner.source}): "
               f"the app runs with {winner.source}'s value." if layered else ""),
            None if layered else
            (f"If {losers[0].source} holds the right value, `unset {name}` in your shell and restart the app."
             if winner.source == "process environment" else
             f"Keep one value: fix or delete {name} in {', '.join(v.source for v in losers)}, then restart the app."),
        ))
        if split and name in resolved:
            out[-1] = replace(out[-1], because=splits[0][0].code)
    return out


def _agent_values(settings: Settings, agent_files: Sequence[str]) -> dict[str, Variable]:
    """What a Python agent's load_dotenv() calls set, name by name: they never override, so the process
    environment beats every file and the first file loaded that sets a name wins."""
    values: dict[str, Variable] = {}
    if not agent_files:
        return values
    for var in settings.variables:
        if var.source == "process environment":
            values.setdefault(var.name, var)
    for name in agent_files:
        for var in settings.variables:
            if var.source == name:
                values.setdefault(var.name, var)
    return values


def _url_mismatch(variables: Sequence[Variable]) -> list[Finding]:
    """LIVEKIT_URL and NEXT_PUBLIC_LIVEKIT_URL on different hosts: tokens minted for one server, used on another."""
    urls = [v for v in variables if v.wins and role_of(v.name) == "url" and url_host(v.value)]
    if len({_server_of(v) for v in urls}) < 2 or _published_port(urls):
        return []
    return [_finding(
        "env.url_mismatch", Severity.WARNING, "The LiveKit URL variables point at different servers",
        "\n".join(f"{v.name} = {v.value.strip()}  ({where(v)})" for v in urls),
        "Tokens minted with one server's key are rejected by the other (`invalid API key`). "
        "Derive every URL from one host (wss:// for clients, https:// for server APIs).",
    )]


def _server_of(var: Variable) -> str:
    """Which server a URL names: every name for this machine (localhost, 127.0.0.1, ::1) is one."""
    host = (url_host(var.value) or "").lower()
    return "this machine" if is_loopback_host(host) else host


def _published_port(urls: Sequence[Variable]) -> bool:
    """Docker compose: the browser reaches livekit-server on this machine's published port while the
    app's own container reaches it by its service name (`ws://livekit:7880`): one server, two names."""
    browser = {_server_of(v) for v in urls if client_prefix(v.name)}
    app = {_server_of(v) for v in urls if not client_prefix(v.name)}
    return (browser == {"this machine"} and len(app) == 1
            and all(h == "host.docker.internal" or "." not in h for h in app))


def published_twin(variables: Sequence[Variable]) -> Variable | None:
    """In that compose layout, the browser's URL: how this machine, outside the compose network, reaches the
    server the app names by its service name. Its port is the one compose publishes, not livekit.yaml's."""
    urls = [v for v in variables if v.wins and role_of(v.name) == "url" and url_host(v.value)]
    if not _published_port(urls) or all(_server_of(v) == "this machine" for v in urls):
        return None
    return next(v for v in urls if client_prefix(v.name))


def _pair(settings: Settings) -> list[Finding]:
    url, key, secret = settings.url, settings.api_key, settings.api_secret
    if key is None or secret is None:
        return []
    out = []
    if key.value.strip() and key.value.strip() == secret.value.strip():  # two empty values are env.empty's
        out.append(_finding(
            "env.key_secret_swapped", Severity.ERROR, "The API key and the API secret are the same value",
            f"{key.name} ({key.source}) and {secret.name} ({secret.source}) hold the same "
            f"{len(key.value)}-character value.",
            "Copy the secret into the secret variable; the key is the short 'API...' part.",
        ))
    if key.value.strip() != DEV_API_KEY or secret.value.strip() != DEV_API_SECRET:
        return out
    host = url_host(url.value) if url else None
    if host and not is_local_host(host):
        out.append(_finding(
            "env.dev_key_remote", Severity.ERROR, f"Dev credentials (devkey/secret) used with {host}",
            f"{key.name} is 'devkey' and {secret.name} is 'secret', the placeholder keys of "
            f"`livekit-server --dev`, but the URL ({url.source}) is not local. A real server rejects them "
            "(`invalid API key: devkey`); a server that accepts them lets anyone mint tokens.",
            "Use the key and secret of that server (LiveKit Cloud: project settings; self-hosted: `keys:` in "
            "livekit.yaml), or point LIVEKIT_URL at your local dev server.",
        ))
    else:
        out.append(_finding(
            "env.dev_key", Severity.INFO, "Using the dev credentials (devkey/secret)",
            "These are what `livekit-server --dev` accepts when it has no keys configured; it binds to "
            "127.0.0.1 unless started with --bind.",
            None,
        ))
    return out


def _server_keys(settings: Settings) -> list[Finding]:
    server = settings.server_keys
    origin = ", ".join(s.path for s in settings.sources if s.kind == "server-config" and s.loaded) or "the server config"
    if server is None:
        return []
    out = [short_secret(f"The server key {redact.mask_key(k)}", origin, s)
           for k, s in server.items() if len(s) < MIN_SECRET_LENGTH and (k, s) != (DEV_API_KEY, DEV_API_SECRET)]
    if not server:
        out.append(_finding(
            "env.server_no_keys", Severity.WARNING, "The livekit-server config holds no keys",
            f"{origin} has no `keys:` and no usable `key_file`; without --dev the server refuses to start "
            f"(`{SERVER_NO_KEYS}`).",
            "Add `keys:\\n  APIyourkey: <secret of 32+ characters>` (from `livekit-server generate-keys`).",
        ))
        return out
    key, secret = settings.api_key, settings.api_secret
    if key is None:
        return out
    listing = "\n".join(f"  {redact.mask_key(k)}: {redact.mask_secret(s)}" for k, s in server.items())
    if key.value not in server:
        out.append(_finding(
            "env.server_key_mismatch", Severity.ERROR,
            f"The server config does not hold the API key {redact.mask_key(key.value)}",
            f"{key.name} ({key.source}) is {redact.mask_key(key.value)!r}, but {origin} only knows:\n{listing}\n"
            "That server answers tokens signed with it with `invalid API key`.",
            "Use a key from the server's `keys:` (or add this key and its secret there, then restart livekit-server).",
        ))
    elif secret is not None and server[key.value] != secret.value:
        out.append(_finding(
            "env.server_key_mismatch", Severity.ERROR,
            f"The server config holds a different secret for {redact.mask_key(key.value)}",
            f"{secret.name} ({secret.source}): {redact.mask_secret(secret.value)}\n"
            f"{origin}: {redact.mask_secret(server[key.value])}\n"
            "Tokens signed with the local secret fail with `token signature is invalid`.",
            "Copy the secret from the server config (or the other way round) so both fingerprints match.",
        ))
    return out


def _secret_elsewhere(settings: Settings) -> list[Finding]:
    """The same key paired with another secret in an lk CLI project (the server config has its own check)."""
    key, secret = settings.api_key, settings.api_secret
    if key is None or secret is None:
        return []
    others = [k for k in settings.known_keys
              if k.api_key == key.value and k.secret != secret.value and k.origin.startswith("lk project")]
    if not others:
        return []
    return [_finding(
        "env.secret_mismatch", Severity.WARNING,
        f"{redact.mask_key(key.value)} has a different secret elsewhere",
        f"{secret.source}: {redact.mask_secret(secret.value)}\n"
        + "\n".join(f"{k.origin}: {redact.mask_secret(k.secret)}" for k in others),
        "One of them is stale; keep the secret the server knows and update the others.",
    )]


def _exposed_by_value(settings: Settings) -> list[Finding]:
    """A client-prefixed variable whose value is a known secret, whatever its name says."""
    secrets = {k.secret for k in settings.known_keys if len(k.secret) >= 8}
    return [_exposed(v, where(v)) for v in settings.variables
            if client_prefix(v.name) and role_of(v.name) != "api_secret" and v.value.strip() in secrets]


def _own_dotenv(settings: Settings, loader: _Loader, agent_files: tuple[str, ...]) -> list[Finding]:
    """Next.js/Vite read `.env.local` and friends; a Python agent's load_dotenv() or a Node server's dotenv
    reads the files its code names (`.env` for a bare call).

    Says, setting by setting, what each process gets when they differ (the web app green, the agent
    without a secret), and nothing when the agent's files hold the same values.
    """
    agent_values = {name: var.value for name, var in _agent_values(settings, agent_files).items()}
    reads = " and ".join(agent_files)
    rows, files = [], []
    for setting in (settings.url, settings.api_key, settings.api_secret):
        if setting is None or not setting.source.startswith(".env") or agent_values.get(setting.name) == setting.value:
            continue
        agent = agent_values.get(setting.name)
        files.append(setting.source)
        rows.append(f"{setting.name}: {loader.others} {setting.source}: {describe(setting.name, setting.value)}; "
                    f"{loader.who} reads {reads}: {'not set' if agent is None else describe(setting.name, agent)}")
    if not rows:
        return []
    files = sorted(set(files))
    unread = [f for f in files if f not in agent_files]
    how = (loader.default_reads if agent_files == (".env",)
           else f"its {loader.call} calls read {reads}" + ("" if unread else " and never override, so the first file wins"))
    return [_finding(
        loader.code, Severity.WARNING,
        f"{loader.whose} does not read {', '.join(unread)}" if unread else
        f"{loader.whose} loads {agent_files[0]} first, so {', '.join(files)} does not win there",
        f"This looks like {loader.project}; {how}, so the web app and the {loader.who.split()[-1]} run with different settings:\n"
        + "\n".join(rows),
        loader.load_by_name.format(file=unread[0], first=agent_files[0]) if unread else loader.load_first.format(file=files[0]),
    )]


def lint_token_variables(settings: Settings, now: float) -> list[Finding]:
    """A variable that holds a token (LIVEKIT_TOKEN, NEXT_PUBLIC_DEMO_LIVEKIT_TOKEN) decoded as the server would.

    An API key or a secret stored there, or a token the server refuses (expired: stored tokens age),
    is what the app sends as its token.
    """
    out = []
    for var in settings.variables:
        if not var.wins or role_of(var.name) != "token" or not var.value.strip():
            continue
        from lkdebug.core.decode import decode  # the decoder (and server_rules) only when such a variable exists

        decoded = decode(var.value, known_keys=settings.known_keys, server_keys=settings.server_keys, now=now)
        at = where(var)
        if decoded.raw is None:
            out.append(_finding(
                "env.token_not_jwt", Severity.ERROR, f"{var.name} does not hold a token: it is {decoded.looks_like}",
                f"{at}: whatever reads {var.name} sends this as its access token; the server answers "
                f"{decoded.verdict.status} `{decoded.verdict.message}`.",
                next((f.fix for f in decoded.findings if f.fix), None)))
        elif decoded.rejected:
            words = (decoded.verdict_message() or "").replace(decoded.raw, "<the token>")
            out.append(_finding(
                "env.token_rejected", Severity.WARNING, f"{var.name} holds a token livekit-server would refuse",
                f"{at}: a current server answers {decoded.verdict.status} `{words}`"
                + (f" (assuming {decoded.verdict_assumes})" if decoded.verdict_assumes else "")
                + ". `lkdebug token decode` shows why.",
                "Mint tokens when a participant connects (a token endpoint) instead of storing one in the environment."))
    return out
