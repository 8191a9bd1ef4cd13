"""livekit-server's own config: livekit.yaml (or --config, /etc), LIVEKIT_CONFIG, LIVEKIT_KEYS and key_file.

The key map is built as livekit-server builds it, so lkdebug knows the keys the server holds and, on a
LiveKit host with only livekit.yaml, can mint its test tokens with them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from lkdebug.core import envlint, redact
from lkdebug.core.model import Finding, KnownKey, Setting, Settings, Severity, Source, Variable
from lkdebug.core.records import dataclass
from lkdebug.core.settings_scan import Scan, is_file, parse_yaml, read_text, settings_finding

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which every command would pay for
if TYPE_CHECKING:
    from typing import Any

SYSTEM_CONFIGS = (Path("/etc/livekit.yaml"), Path("/opt/livekit/livekit.yaml"))


def _key_map(data: Any, label: str, findings: list[Finding], server_error: str | None = None) -> dict[str, str] | None:
    """A `key: secret` map, or a finding saying why it is not one."""
    if isinstance(data, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        return dict(data)
    shape = "a plain string" if isinstance(data, str) else "a list" if isinstance(data, list) else (
        "empty" if data is None else "a map with nested values")
    findings.append(settings_finding(
        "env.config_invalid", Severity.ERROR, f"{label} is not a `key: secret` map",
        f"{label} is {shape}." + (f" livekit-server says: `{server_error}`." if server_error else "")
        + (" 'APIkey:secret' without a space after the colon is one string, not a map." if isinstance(data, str) and ":" in data else ""),
        'Write one `APIkey: secret` per line (a space after the colon), e.g. LIVEKIT_KEYS="APIkey: secret".',
    ))
    return None



@dataclass
class _ServerConfig:
    keys: dict[str, str] | None = None
    port: int | None = None
    webhook_key: str | None = None
    webhook_urls: bool = False



def _server_config_from(data: Any, label: str, base_dir: Path, scan: Scan) -> _ServerConfig:
    conf = _ServerConfig()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        scan.findings.append(settings_finding(
            "env.config_invalid", Severity.ERROR, f"{label} is not a livekit-server config",
            f"{label} is YAML, but not a map of settings (port:, keys:, rtc:...).",
            "Start from livekit-server's config-sample.yaml.",
        ))
        return conf
    keys: dict[str, str] = {}
    if data.get("keys") not in (None, ""):
        keys = _key_map(data["keys"], f"keys: in {label}", scan.findings) or {}
        scan.known += [KnownKey(k, s, f"server config {label}") for k, s in keys.items()]
    key_file = data.get("key_file")
    if isinstance(key_file, str) and key_file:
        keys.update(_key_file(Path(key_file) if Path(key_file).is_absolute() else base_dir / key_file, scan))
    conf.keys = keys
    port = data.get("port")
    conf.port = int(port) if isinstance(port, str) and port.isdigit() else None
    webhook = data.get("webhook")
    if isinstance(webhook, dict):
        conf.webhook_key = webhook.get("api_key") if isinstance(webhook.get("api_key"), str) else None
        conf.webhook_urls = bool(webhook.get("urls"))
    return conf



def _key_file(path: Path, scan: Scan) -> dict[str, str]:
    label = str(path)
    text = read_text(path, label, scan.findings)
    scan.sources.append(Source("server-config", label, text is not None, None if text is not None else "unreadable"))
    if text is None:
        return {}
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = 0
    if mode & stat.S_IRWXO:
        scan.findings.append(settings_finding(
            "env.key_file_mode", Severity.WARNING, f"The key file {label} is readable by other users",
            f"Mode {stat.S_IMODE(mode):o}. livekit-server refuses to start: `key file others permissions must be set to 0`.",
            f"chmod 600 {label}",
        ))
    keys = _key_map(parse_yaml(text, label, scan.findings), label, scan.findings) or {}
    scan.known += [KnownKey(k, s, f"server key file {label}") for k, s in keys.items()]
    return keys



def scan_server(scan: Scan, project_dir: Path, config: Path | None, system_configs: Sequence[Path],
                 winners: Mapping[str, Variable]) -> _ServerConfig | None:
    """The server's key map as livekit-server would build it: config (or LIVEKIT_CONFIG), LIVEKIT_KEYS, key_file."""
    candidates = [config] if config is not None else [project_dir / "livekit.yaml", *system_configs]
    conf: _ServerConfig | None = None
    body = winners.get("LIVEKIT_CONFIG")
    for path in candidates:
        if conf is not None or body is not None:
            if is_file(path):
                why = "LIVEKIT_CONFIG is set and wins" if body is not None else "an earlier config was used"
                scan.sources.append(Source("server-config", str(path), False, f"found, not used: {why}"))
            else:
                scan.sources.append(Source("server-config", str(path), False))
            continue
        if not os.path.exists(path):  # not is_file(): a FIFO or a folder there is reported, not passed over
            scan.sources.append(Source("server-config", str(path), False))
            continue
        text = read_text(path, str(path), scan.findings)
        scan.sources.append(Source("server-config", str(path), text is not None, None if text is not None else "unreadable"))
        if text is not None:
            conf = _server_config_from(parse_yaml(text, str(path), scan.findings), str(path), path.parent, scan)
    if body is not None:
        label = f"LIVEKIT_CONFIG ({envlint.where(body)})"
        scan.sources.append(Source("server-config", label, True))
        conf = _server_config_from(parse_yaml(body.value, label, scan.findings), label, project_dir, scan)
    keys_var = winners.get("LIVEKIT_KEYS")
    if keys_var is not None:
        label = f"LIVEKIT_KEYS ({envlint.where(keys_var)})"
        scan.sources.append(Source("server-config", label, True))
        data = parse_yaml(keys_var.value, label, scan.findings, envlint.SERVER_KEYS_PARSE_ERROR)
        keys = _key_map(data, label, scan.findings, envlint.SERVER_KEYS_PARSE_ERROR) if data is not None else None
        if keys is not None:
            scan.known += [KnownKey(k, s, f"server {label}") for k, s in keys.items()]
            # livekit-server: --keys / LIVEKIT_KEYS replaces the config's keys; a key_file would still add to them.
            conf = conf or _ServerConfig()
            conf.keys = keys
    return conf



def key_from_server(settings: Settings, keys: Mapping[str, str], origin: str) -> list[Finding]:
    """On a LiveKit host the server config is the only place the secret lives: use it, and say so.

    One key: lkdebug takes it. Several: `--api-key` (or LIVEKIT_API_KEY) picks one.
    """
    if settings.api_key is not None:
        if settings.api_key.value not in keys:
            return []
        name = settings.api_key.value
    elif len(keys) == 1:
        name = next(iter(keys))
        settings.api_key = Setting("LIVEKIT_API_KEY", name, origin)
    else:
        return [settings_finding(
            "env.server_keys_choose", Severity.INFO, f"{origin} holds {len(keys)} keys; lkdebug uses none of them",
            "No LIVEKIT_API_KEY/LIVEKIT_API_SECRET is set, and the server config has several keys: "
            + ", ".join(redact.mask_key(k) for k in keys) + ".",
            "Pass --api-key KEY to pick the one lkdebug mints test tokens with.")]
    settings.api_secret = Setting("LIVEKIT_API_SECRET", keys[name], origin)
    return [settings_finding(
        "env.key_from_server_config", Severity.INFO, f"Using the key {redact.mask_key(name)} and its secret from {origin}",
        "No LIVEKIT_API_SECRET is set anywhere else; the server config holds the secret for this key, so lkdebug "
        "mints its test tokens with it.", None)]



def server_findings(server: _ServerConfig | None) -> list[Finding]:
    """What the server config itself gets wrong (its `port:` is the URL judgement's: `Settings.server_port`)."""
    if server is None:
        return []
    out = []
    if server.webhook_urls and (server.webhook_key or "") not in (server.keys or {}):
        out.append(settings_finding(
            "env.webhook_key", Severity.ERROR, "The server's webhook api_key is not one of its keys",
            f"webhook.api_key is {redact.mask_key(server.webhook_key or '')!r}; it must name a key from `keys:`. "
            f"livekit-server refuses to start: `{envlint.SERVER_WEBHOOK_KEY}`.",
            "Set webhook.api_key to one of the key names under `keys:`.",
        ))
    return out
