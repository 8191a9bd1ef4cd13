"""The diagnostics core: plain Python, never imports textual (tests/test_imports.py proves it)."""
