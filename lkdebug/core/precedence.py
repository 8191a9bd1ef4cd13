"""Which value of a LiveKit setting wins, and why: the order the tools people use actually apply.

1. the process environment: Next.js, Vite, Node's dotenv and python-dotenv's load_dotenv() never
   override a variable that is already set;
2. `--env-file` files, a later one before an earlier one. They are read after the project's dotenv
   files and win over them, but not over the process environment (like `node --env-file`);
3. the project's dotenv files in its framework's order: Next.js (and any project lkdebug cannot place)
   `.env.$MODE.local` > `.env.local` > `.env.$MODE` > `.env`; Vite `.env.$MODE.local` > `.env.$MODE` >
   `.env.local` > `.env` (a mode file beats the developer's `.env.local` there).

Within one file the last assignment wins (python-dotenv and Node's dotenv agree; core/dotenv_sources.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from lkdebug.core import envlint, lazyre
from lkdebug.core.model import Setting, Variable
from lkdebug.core.records import replace
from lkdebug.core.settings_scan import Found, is_file, package_json

WHY_PROCESS = ("the process environment beats dotenv files: Next.js, Vite, Node's dotenv and python-dotenv's "
               "load_dotenv() never override a variable that is already set")
WHY_ENV_FILE = ("--env-file files are read after the project's dotenv files and win over them "
                "(never over the process environment, as with `node --env-file`)")
WHY_LATER_ENV_FILE = "a later --env-file wins over an earlier one"

# Values the resolved settings are read from, best first. Client-prefixed twins come after these.
URL_NAMES = ("LIVEKIT_URL", "LIVEKIT_HOST", "LIVEKIT_WS_URL", "LIVEKIT_SERVER_URL")
KEY_NAMES = ("LIVEKIT_API_KEY",)
SECRET_NAMES = ("LIVEKIT_API_SECRET",)

_MODE_NAME = lazyre.compile(r"^[A-Za-z0-9_-]{1,40}$")


# --- mode -----------------------------------------------------------------------------------------


def decide_mode(environ: Mapping[str, str], project_dir: Path) -> tuple[str, str]:
    """The MODE that picks `.env.$MODE` files, and why it was assumed."""
    node_env = (environ.get("NODE_ENV") or "").strip()
    if node_env and _MODE_NAME.match(node_env):  # unset, usually: no pattern to compile
        return node_env, f"NODE_ENV={node_env} in the process environment"

    def present(mode: str) -> bool:
        return any(is_file(project_dir / f".env.{mode}{s}") for s in ("", ".local"))

    if present("production") and not present("development"):
        return "production", ("NODE_ENV is not set and only .env.production* files exist, so production was "
                              "assumed (as `next start` / `vite build`); run with NODE_ENV=development to compare")
    return "development", ("NODE_ENV is not set, so development was assumed (as `next dev` / `vite`); "
                           "run with NODE_ENV=production to see what `next start` reads")



NEXT, VITE = "Next.js", "Vite"


def framework_of(project_dir: Path) -> str:
    """Whose dotenv order the project follows: Vite when its package.json depends on vite (or on SvelteKit or
    Astro, which load env files with Vite's loadEnv) and not on next (a Next.js app may carry vite as a test
    tool), else Next.js, the order lkdebug assumes by default."""
    package = package_json(project_dir)
    if package is None:
        return NEXT
    names = {name for group in ("dependencies", "devDependencies") if isinstance(package.get(group), dict)
             for name in package[group]}
    return VITE if names & {"vite", "@sveltejs/kit", "astro"} and "next" not in names else NEXT


def dotenv_order(mode: str, framework: str = NEXT) -> list[str]:
    """The framework's order, strongest first. Next.js skips .env.local in test mode so tests are reproducible."""
    if framework == VITE:
        return [f".env.{mode}.local", f".env.{mode}", ".env.local", ".env"]
    order = [f".env.{mode}.local", ".env.local", f".env.{mode}", ".env"]
    return [n for n in order if not (mode == "test" and n == ".env.local")]


# --- which value wins -----------------------------------------------------------------------------


def _why(winner: Found, loser: Found, mode: str, framework: str) -> str:
    if winner.kind == "process":
        return WHY_PROCESS
    if winner.kind == "env-file":
        return WHY_LATER_ENV_FILE if loser.kind == "env-file" else WHY_ENV_FILE
    return (f"in {mode} mode {framework} reads {' > '.join(dotenv_order(mode, framework))}; the first file that "
            "sets a variable wins")



def resolve(found: list[Found], mode: str, framework: str = NEXT) -> list[Variable]:
    """Mark the winner of each name and say, on every occurrence, why it won or lost."""
    out: list[Variable] = []
    by_name: dict[str, list[Found]] = {}
    for f in found:
        by_name.setdefault(f.var.name, []).append(f)
    for name in sorted(by_name, key=lambda n: (envlint.base_name(n) != n, n)):
        group = sorted(by_name[name], key=lambda f: f.rank)
        live = [f for f in group if f.applies]
        winner = live[0] if live else None
        for f in group:
            if not f.applies:
                out.append(replace(f.var, wins=False, note=f.skipped_because))
            elif f is winner:
                beaten = [g for g in live if g is not f]
                note = f"wins over {', '.join(g.var.source for g in beaten)}: {_why(f, beaten[0], mode, framework)}" if beaten else ""
                out.append(replace(f.var, wins=True, note=note))
            else:
                out.append(replace(f.var, wins=False, note=f"overridden by {winner.var.source}: {_why(winner, f, mode, framework)}"))
    return out



def pick(winners: Mapping[str, Variable], names: Sequence[str], role: str) -> Setting | None:
    """The first canonical name that is set, then any client-prefixed twin of it."""
    for name in names:
        if name in winners:
            return Setting(name, winners[name].value, winners[name].source)
    for name, var in sorted(winners.items()):
        if envlint.client_prefix(name) and envlint.base_name(name) in names and envlint.role_of(name) == role:
            return Setting(name, var.value, var.source)
    return None
