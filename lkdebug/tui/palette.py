"""lkdebug's actions in the command palette, beside Textual's own (COMMANDS = App.COMMANDS | {...})."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# (title, help, app action): one table for discovery and search.
COMMANDS = (
    ("Copy token", "Copy the Builder's token (or the Decoder's) to the clipboard (served: only with --allow-reveal)", "copy_token"),
    ("Download token", "Save the Builder's token (or the Decoder's) as a file: for a browser that blocks the clipboard (served: only with --allow-reveal)", "download_token"),
    ("Copy lk command", "Copy the equivalent `lk token create ...` command line", "copy_lk_command"),
    ("Decode clipboard", "Open what lkdebug last copied in the Decoder", "decode_clipboard"),
    ("Run checks", "Run the connectivity probes against the target", "run_checks"),
    ("Export report", "Copy a redacted report, ready to paste into an issue (a download when served)", "export_report"),
    ("Reveal / mask secrets", "Show or hide secrets and token signatures", "toggle_reveal"),
    ("Reload settings", "Read the environment and the .env files again", "reload_settings"),
)


class LkDebugCommands(Provider):
    async def discover(self) -> Hits:
        for title, help, action in COMMANDS:
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help, action in COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), help=help)
