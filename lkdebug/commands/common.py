"""What every headless command shares: settings from the common options, exit codes."""

from __future__ import annotations

import argparse
from pathlib import Path

from lkdebug.exitcodes import ExitCode, UsageError
from lkdebug.core.model import Finding, Settings, has_error


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Discover settings as the common options say (DESIGN §3 'options for every command')."""
    from lkdebug.core.sources import load_settings

    project_dir = Path(args.dir)
    if not project_dir.is_dir():
        raise UsageError(f"--dir {args.dir}: not a folder")
    for name in [*args.env_file, args.config, args.api_secret_file]:
        if name is not None and not Path(name).is_file():
            raise UsageError(f"{name}: no such file")
    return load_settings(
        project_dir,
        env_files=[Path(p) for p in args.env_file],
        config=Path(args.config) if args.config else None,
        url=args.url,
        api_key=args.api_key,
        api_secret_file=Path(args.api_secret_file) if args.api_secret_file else None,
        now=now_from_args(args),
    )


def now_from_args(args: argparse.Namespace) -> float:
    """`--now TIME` when given (a verdict for another moment), else this machine's clock."""
    import time

    if getattr(args, "now", None) is None:
        return time.time()
    from lkdebug.core.token import parse_time

    try:
        return parse_time(args.now)
    except ValueError as error:
        raise UsageError(f"--now: {error}") from None


def exit_code(findings: list[Finding]) -> int:
    return ExitCode.FINDINGS if has_error(findings) else ExitCode.OK
