"""The Textual app (`lkdebug`, `lkdebug tui`, `lkdebug demo`): four tabs over the diagnostics core.

Only this package and the tui/demo commands import textual; the core never does.
"""
