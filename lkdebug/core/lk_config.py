"""Which project `lk` would use from a folder, resolved the way lk resolves it, and where that differs from the app.

From livekit/livekit-cli 29c26865 (v2.18.2-10): `resolveProject` in cmd/lk/utils.go, `requireProjectWithOpts`
and `selectProject` in cmd/lk/app.go, pkg/config/config.go and pkg/config/livekit.go. lk's order:

1. `--project NAME` (a configured project by name);
2. `--subdomain SUB` (matched against each project URL's first host label);
3. `--url/--api-key/--api-secret` flags or LIVEKIT_URL/LIVEKIT_API_KEY/LIVEKIT_API_SECRET, used only when key
   **and** secret are both set; the URL is then LIVEKIT_URL or `http://localhost:7880`;
4. `--dev` (devkey/secret);
5. `livekit.toml` in the working folder: `[project] subdomain`, or the legacy top-level `project_subdomain`,
   matched like --subdomain; no match is an error (lk then asks which project to use), never a fallback;
6. `default_project` from ~/.livekit/cli-config.yaml.

lk reads only the process environment, never `.env` files. The files themselves are read by core.lk_sources.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from lkdebug.core import lazyre
from lkdebug.core.records import dataclass, replace

from lkdebug.core import redact
from lkdebug.core.model import Finding, Settings, Severity

LK_DEFAULT_URL = "http://localhost:7880"
_SUBDOMAIN = lazyre.compile(r"^(?:https?|wss?)://([^.]+)\.")  # util.ExtractSubdomain


@dataclass(frozen=True)
class LkProject:
    name: str
    url: str
    api_key: str
    api_secret: str
    origin: str


@dataclass(frozen=True)
class LkChoice:
    """What lk would use: `step` is the rule of the order above that decided, `says` lk's own words."""

    step: str  # --project | --subdomain | environment | --dev | livekit.toml | default_project | none
    project: LkProject | None
    says: str
    error: bool = False

    def to_dict(self, reveal: bool = False) -> dict:
        p = self.project
        return {"step": self.step, "says": self.says, "error": self.error,
                "project": None if p is None else {
                    "name": p.name or None, "url": p.url, "api_key": redact.mask_key(p.api_key, reveal),
                    "api_secret": {"length": len(p.api_secret), "fingerprint": redact.fingerprint(p.api_secret)},
                    "from": p.origin}}


def extract_subdomain(url: str) -> str:
    match = _SUBDOMAIN.match(url)
    return match.group(1) if match else ""


def _not_found(projects: Sequence[LkProject]) -> str:
    if not projects:
        return ("project not found. No projects configured, use `lk cloud auth` or `lk project add` to add a new "
                "project")
    return "project not found. Available projects: " + ", ".join(p.name for p in projects)


def _by_subdomain(projects: Sequence[LkProject], subdomain: str) -> LkProject | str:
    if not subdomain:
        return "invalid URL"
    return next((p for p in projects if extract_subdomain(p.url) == subdomain), None) or _not_found(projects)


def _then_asks(projects: Sequence[LkProject]) -> str:
    """What requireProjectWithOpts does when resolution fails: selectProject."""
    if len(projects) == 1:
        return f"lk then asks which project to use (without a terminal it takes the only one, {projects[0].name})"
    if projects:
        return ("lk then asks which project to use (without a terminal it stops: multiple projects configured; "
                "set --project in non-interactive mode)")
    return "lk then offers `lk cloud auth` (without a terminal it stops: no projects configured)"


def resolve(projects: Sequence[LkProject], default_project: str | None, environ: Mapping[str, str], *,
            toml_found: bool = False, toml_subdomain: str | None = None, project: str | None = None,
            subdomain: str | None = None, dev: bool = False) -> LkChoice:
    """lk's resolveProject for a command that needs no URL (`lk token create`): see the module's order."""
    if project:
        found = next((p for p in projects if p.name == project), None)
        return (LkChoice("--project", found, f"Using project [{found.name}]") if found
                else LkChoice("--project", None, _not_found(projects), error=True))
    if subdomain:
        found = _by_subdomain(projects, subdomain)
        return (LkChoice("--subdomain", found, f"Using project [{found.name}]") if isinstance(found, LkProject)
                else LkChoice("--subdomain", None, found, error=True))
    key, secret = environ.get("LIVEKIT_API_KEY", ""), environ.get("LIVEKIT_API_SECRET", "")
    if key and secret:
        url = environ.get("LIVEKIT_URL") or LK_DEFAULT_URL
        used = (["url"] if environ.get("LIVEKIT_URL") else []) + ["api-key", "api-secret"]
        return LkChoice("environment", LkProject("", url, key, secret, "the process environment"),
                        f"Using {', '.join(used)} from environment")
    if dev:
        return LkChoice("--dev", LkProject("", environ.get("LIVEKIT_URL") or LK_DEFAULT_URL, "devkey", "secret",
                                           "--dev"), "Using dev credentials")
    if toml_found:
        found = _by_subdomain(projects, toml_subdomain or "")
        if isinstance(found, LkProject):
            return LkChoice("livekit.toml", replace(found, origin=f"{found.origin}, chosen by livekit.toml"),
                            f"Using project [{found.name}]")
        return LkChoice("livekit.toml", None, f"livekit.toml's subdomain {toml_subdomain or ''!r}: {found}; "
                                              f"{_then_asks(projects)}", error=True)
    found = next((p for p in projects if default_project and p.name == default_project), None)
    if found is not None:
        return LkChoice("default_project", found, f"Using project [{found.name}]")
    return LkChoice("none", None, f"no project resolves; {_then_asks(projects)}", error=True)


def _finding(code: str, severity: Severity, title: str, detail: str, fix: str | None) -> Finding:
    return Finding(code, severity, "env", title, detail, fix)


def _target(choice: LkChoice) -> str:
    p = choice.project
    name = f"project {p.name}" if p and p.name else "the credentials in the process environment"
    return f"{name} ({redact.visible(p.url)}, key {redact.mask_key(p.api_key)})" if p else name


def findings(choice: LkChoice, settings: Settings, environ: Mapping[str, str]) -> list[Finding]:
    """Where lk, run in this folder, would use something other than the app; and lk's own dead ends."""
    out: list[Finding] = []
    key, secret = environ.get("LIVEKIT_API_KEY", ""), environ.get("LIVEKIT_API_SECRET", "")
    if bool(key) != bool(secret) and choice.step not in ("--project", "--subdomain"):
        have, missing = ("LIVEKIT_API_KEY", "LIVEKIT_API_SECRET") if key else ("LIVEKIT_API_SECRET", "LIVEKIT_API_KEY")
        out.append(_finding(
            "env.lk_env_half", Severity.WARNING, f"lk ignores {have}: {missing} is not in the process environment",
            f"lk uses environment credentials only when key and secret are both set; here it uses "
            f"{_target(choice)} instead." + (" Your secret is in a dotenv file, which lk never reads."
                                             if settings.api_secret and settings.api_secret.source != "process environment"
                                             else ""),
            f"export {missing} as well (or run lk with --project NAME).",
        ))
    # What lk would do matters to lk's own commands; an app with its own key and secret runs without lk.
    app_complete = settings.api_key is not None and settings.api_secret is not None
    if choice.step == "livekit.toml" and choice.error:
        out.append(_finding(
            "env.lk_toml_no_match", Severity.INFO if app_complete else Severity.WARNING,
            "livekit.toml names a project lk does not have",
            f"{choice.says}.", "Add the project with `lk cloud auth` (or `lk project add`), or fix the subdomain "
                               "in livekit.toml.",
        ))
    app_key = settings.api_key
    if choice.project is None or app_key is None or app_key.source == choice.project.origin:
        return out
    same_key = app_key.value == choice.project.api_key
    app_url = settings.url.value.strip() if settings.url else None
    same_url = app_url is None or _host(app_url) == _host(choice.project.url)
    if same_key and same_url:
        return out
    app = f"{redact.visible(app_url) + ', ' if app_url else ''}key {redact.mask_key(app_key.value)} from {app_key.source}"
    out.append(_finding(
        "env.lk_differs", Severity.INFO,
        f"`lk` commands here target {_target(choice).split(' (')[0]}; your app targets {app_url or 'another key'}",
        f"lk ({choice.says}) would use {_target(choice)}; the app uses {app}. lk reads only the process "
        "environment and its own config, never .env files, so tokens from `lk token create` and the app's differ.",
        "Run lk with --project NAME for the app's project, or export the app's LIVEKIT_API_KEY and "
        "LIVEKIT_API_SECRET before running lk.",
    ))
    return out


def _host(url: str) -> str:
    match = re.match(r"^[a-z][a-z0-9+.-]*://([^/:?#]+)", url.strip().lower())
    return match.group(1) if match else url.strip().lower()
