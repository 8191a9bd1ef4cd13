"""`lkdebug env`: where every LiveKit setting comes from, which value wins and why, and what is wrong with it."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from lkdebug.commands.common import exit_code, settings_from_args
from lkdebug.core import redact, render
from lkdebug.core.model import Settings
from lkdebug.core.render import settings_to_dict

VALUE_WIDTH = 44
_VISIBLE = str.maketrans({"\t": "\\t", "\r": "\\r", "\n": "\\n", "\ufeff": "\\ufeff"})


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if args.json:
        render.dump_json({"schema": "lkdebug/env/1", **env_json(settings, reveal=args.reveal)})
    else:
        print(env_text(settings, Path(args.dir), reveal=args.reveal, colour=render.use_colour(sys.stdout)))
    return exit_code(settings.findings)


def env_json(settings: Settings, reveal: bool = False) -> dict:
    """The `env --json` document: masked by name, and every string scrubbed of secrets, signatures, passwords."""
    return redact.scrub_all(settings_to_dict(settings, reveal=reveal), settings.secrets(), reveal)


def _shown(value: str) -> str:
    """Invisible characters and control characters made visible; quotes around values whose ends are whitespace."""
    text = redact.visible(value.translate(_VISIBLE))
    if value != value.strip():
        text = f"'{text}'"
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def env_text(settings: Settings, project_dir: Path, reveal: bool = False, colour: bool = False) -> str:
    bold = partial(render.bold, colour=colour)
    dim = partial(render.paint, code="2", colour=colour)
    secrets = settings.secrets()
    shown = partial(redact.shown, secrets=secrets, reveal=reveal)  # paths, names, sources: outside text
    out = [f"{bold('LiveKit settings for')} {shown(str(project_dir.resolve()))}",
           dim(f"mode: {settings.mode} ({shown(settings.mode_reason)})"), "", bold("Sources")]
    kind_width = max((len(s.kind) for s in settings.sources), default=0)
    for s in settings.sources:
        state = "found" if s.loaded else shown(s.error or "not found")
        mark = "✓" if s.loaded else "·"
        line = f"  {mark} {s.kind:<{kind_width}}  {shown(s.path)}  {state if not s.loaded else ''}".rstrip()
        out.append(line if s.loaded else dim(line))

    out += ["", bold("Variables") + dim("  (* wins; the others are overridden or not read)")]
    if not settings.variables:
        out.append("  No LiveKit variables found (LIVEKIT_*, NEXT_PUBLIC_LIVEKIT_*, VITE_LIVEKIT_*, ...).")
    else:
        rows = [("", "NAME", "SOURCE", "LEN", "VALUE", "ISSUES")]
        for v in settings.variables:
            where = shown(f"{v.source}:{v.line}" if v.line else v.source)
            issues = ", ".join(i.removeprefix("env.") for i in v.issues)
            status = shown("" if v.wins else v.note.split(":")[0])
            rows.append(("*" if v.wins else " ", shown(v.name), where, str(len(v.value)),
                         _shown(redact.display_value(v.name, v.value, secrets, reveal)),
                         "; ".join(x for x in (issues, status) if x)))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for i, r in enumerate(rows):
            line = "  " + "  ".join(f"{c:<{w}}" if n != 3 else f"{c:>{w}}" for n, (c, w) in enumerate(zip(r, widths)))
            line = f"{line}  {r[5]}".rstrip()
            out.append(bold(line) if i == 0 else line if r[0] == "*" else dim(line))

    out += ["", bold("Settings")]
    for label, setting, masked in (
        ("url", settings.url, lambda v: redact.scrub(v, secrets, reveal)),
        ("api_key", settings.api_key, lambda v: redact.mask_key(v, reveal)),
        ("api_secret", settings.api_secret, lambda v: redact.mask_secret(v, reveal)),
    ):
        if setting is None:
            out.append(f"  {label:<11} (not found)")
        else:
            out.append(f"  {label:<11} {_shown(masked(setting.value))}  {dim(shown(f'{setting.name} from {setting.source}'))}")
    if settings.server_keys is not None:
        out.append(f"  {'server keys':<11} " + (", ".join(
            f"{shown(redact.mask_key(k, reveal))} {redact.mask_secret(s, reveal)}" for k, s in settings.server_keys.items())
            or "(none)"))

    if settings.lk is not None:
        # What `lk` run here would use, beside what the app uses (lk reads no .env file).
        target = settings.lk.project
        where = f"{target.url}, key {redact.mask_key(target.api_key, reveal)}" if target else "nothing"
        out.append(f"  {'lk':<11} {shown(where)}  {dim(shown(f'{settings.lk.step}: {settings.lk.says}'))}")
    out += ["", bold("Findings"), render.findings_text(settings.findings, colour, secrets), "",
            render.summary_line(settings.findings)]
    return "\n".join(out)
