"""python-dotenv's parser and `${VAR}` expansion, in linear time and with the expansion bounded.

Two things made reading a `.env` quadratic, one in lkdebug and one in python-dotenv:

- expanding each value against `{**environ, **values}` copies every earlier value per line (python-dotenv's
  own `resolve_variables` does the same with `os.environ`); a ChainMap looks names up without copying;
- python-dotenv strips an inline comment from an unquoted value with `re.sub(r"\\s+#.*", ...)`, which tries
  `\\s+` from every blank of a run of blanks: a value with 40,000 blanks takes 12 s. `_comment_start` finds
  the same cut trying each run once.

So `parse_stream` is python-dotenv's `parse_binding` loop over its own Reader, regexes and quoted-value
parser, with that one step replaced (and lines counted with `str.count`); tests/test_dotenv_parse.py checks it
against python-dotenv's `parse_stream` on generated files, line numbers (`binding.original.line`) included.

Expansion is capped: nested `B=${A}${A}` lines double in length each, so 442 bytes reach gigabytes.
"""

from __future__ import annotations

import io
import re
from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from dotenv import parser as dotenv_parser
from dotenv.parser import Binding, Reader
from dotenv.variables import parse_variables

VALUE_LIMIT = 64 << 10  # characters in one expanded value
FILE_EXPANSION_LIMIT = 4 << 20  # characters produced by expansion in one file

# The first blank that starts a run of blanks followed by '#': where re.sub(r"\s+#.*") cuts. The look-behind
# lets a match start only where a run starts, so each run is scanned once.
_comment_start = re.compile(r"(?<!\s)\s+#")


class _Reader(Reader):
    """python-dotenv's Reader, counting lines with `str.count`: its `advance` runs a regex over every piece it
    consumes, a third of the parse. Exact once newlines are universal (only \\n), as `parse_stream` makes them."""

    def read_regex(self, regex: re.Pattern[str]) -> tuple[str, ...]:
        match = regex.match(self.string, self.position.chars)
        if match is None:
            raise dotenv_parser.Error("read_regex: Pattern not found")
        self.position.line += self.string.count("\n", self.position.chars, match.end())
        self.position.chars = match.end()
        return match.groups()


def _unquoted_value(reader: Reader) -> str:
    (part,) = reader.read_regex(dotenv_parser._unquoted_value)
    cut = _comment_start.search(part)
    return (part if cut is None else part[: cut.start()]).rstrip()


def _binding(reader: Reader) -> Binding:
    """python-dotenv's `parse_binding`, with `_unquoted_value` for its quadratic `parse_unquoted_value`."""
    reader.set_mark()
    try:
        reader.read_regex(dotenv_parser._multiline_whitespace)
        if not reader.has_next():
            return Binding(key=None, value=None, original=reader.get_marked(), error=False)
        reader.read_regex(dotenv_parser._export)
        key = dotenv_parser.parse_key(reader)
        reader.read_regex(dotenv_parser._whitespace)
        value = None
        if reader.peek(1) == "=":
            (equal_sign,) = reader.read_regex(dotenv_parser._equal_sign)
            if len(equal_sign) > 1 and reader.peek(1) == "#":
                value = ""  # `KEY= # comment`: an empty value and a comment
            elif reader.peek(1) in ("'", '"'):
                value = dotenv_parser.parse_value(reader)
            else:
                value = _unquoted_value(reader)
        reader.read_regex(dotenv_parser._comment)
        reader.read_regex(dotenv_parser._end_of_line)
        return Binding(key=key, value=value, original=reader.get_marked(), error=False)
    except dotenv_parser.Error:
        reader.read_regex(dotenv_parser._rest_of_line)
        return Binding(key=None, value=None, original=reader.get_marked(), error=True)


def parse_stream(text: str) -> Iterator[Binding]:
    """The bindings of a dotenv text, as python-dotenv's `parse_stream` gives them for a file opened as text
    (universal newlines: CRLF and CR read as LF)."""
    reader = _Reader(io.StringIO(text, newline=None))
    while reader.has_next():
        yield _binding(reader)


@dataclass
class Expander:
    """`${VAR}` and `${VAR:-default}` expansion, later values over `environ`, within the caps.

    A value whose expansion would pass a cap is kept as written; `capped` lists (name, line, length).
    """

    environ: Mapping[str, str]
    values: dict[str, str] = field(default_factory=dict)
    budget: int = FILE_EXPANSION_LIMIT
    capped: list[tuple[str, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lookup = ChainMap(self.values, self.environ)

    def expand(self, value: str, name: str, line: int) -> str:
        pieces = [atom.resolve(self._lookup) for atom in parse_variables(value)]
        length = sum(map(len, pieces))
        if length > len(value) and (length > VALUE_LIMIT or length - len(value) > self.budget):
            self.capped.append((name, line, length))
            return value
        self.budget -= max(0, length - len(value))
        return "".join(pieces)
