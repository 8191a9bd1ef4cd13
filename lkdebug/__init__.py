"""lkdebug: a terminal debugger for LiveKit authentication and connection problems."""

__version__ = "0.1.0"
