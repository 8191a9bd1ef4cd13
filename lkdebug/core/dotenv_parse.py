"""python-dotenv's grammar and `${VAR}` expansion, in linear time, with the expansion bounded.

lkdebug parses dotenv files itself, to python-dotenv 1.2.4's grammar (its regexes, below, are the grammar;
`KEY= # comment` is empty), rather than importing python-dotenv: importing it loads `logging`, `tempfile`
and `typing`, which cost every command more than the whole parse of a `.env`. tests/test_dotenv_parse.py
checks `parse_stream` against python-dotenv's on generated files, line numbers (`binding.original.line`)
included, and the expansion against `dotenv_values`.

Two things made python-dotenv's own reading quadratic, and are done differently here:

- expanding each value against `{**environ, **values}` copies every earlier value per line; a ChainMap looks
  names up without copying;
- python-dotenv strips an inline comment from an unquoted value with `re.sub(r"\\s+#.*", ...)`, which tries
  `\\s+` from every blank of a run of blanks: a value with 40,000 blanks takes 12 s. `_comment_start` finds
  the same cut trying each run once. Lines are counted with `str.count`, not a regex over every piece.

Expansion is capped: nested `B=${A}${A}` lines double in length each, so 442 bytes reach gigabytes.
"""

from __future__ import annotations

import re
from collections import ChainMap, namedtuple
from collections.abc import Iterator, Mapping

from lkdebug.core import lazyre
from lkdebug.core.records import dataclass, field

VALUE_LIMIT = 64 << 10  # characters in one expanded value
FILE_EXPANSION_LIMIT = 4 << 20  # characters produced by expansion in one file

# python-dotenv 1.2.4's grammar (dotenv/parser.py), one regex a step.
_multiline_whitespace = lazyre.compile(r"\s*", re.MULTILINE)
_whitespace = lazyre.compile(r"[^\S\r\n]*")
_export = lazyre.compile(r"(?:export[^\S\r\n]+)?")
_single_quoted_key = lazyre.compile(r"'([^']+)'")
_unquoted_key = lazyre.compile(r"([^=\#\s]+)")
_equal_sign = lazyre.compile(r"(=[^\S\r\n]*)")
# A backslash always escapes the character after it, so an escaped backslash is not taken for an escaped quote.
_single_quoted_value = lazyre.compile(r"'((?:\\.|[^'\\])*)'", re.DOTALL)
_double_quoted_value = lazyre.compile(r'"((?:\\.|[^"\\])*)"', re.DOTALL)
_unquoted_value = lazyre.compile(r"([^\r\n]*)")
_comment = lazyre.compile(r"(?:[^\S\r\n]*#[^\r\n]*)?")
_end_of_line = lazyre.compile(r"[^\S\r\n]*(?:\r\n|\n|\r|$)")
_rest_of_line = lazyre.compile(r"[^\r\n]*(?:\r|\n|\r\n)?")
_double_quote_escapes = lazyre.compile(r"\\[\\'\"abfnrtv]")
_single_quote_escapes = lazyre.compile(r"\\[\\']")
# What python-dotenv's `codecs.decode(escape, "unicode-escape")` gives for each escape those two regexes match.
_ESCAPED = {"\\\\": "\\", "\\'": "'", '\\"': '"', "\\a": "\a", "\\b": "\b", "\\f": "\f", "\\n": "\n", "\\r": "\r",
            "\\t": "\t", "\\v": "\v"}
# `${NAME}` and `${NAME:-default}` (dotenv/variables.py).
_posix_variable = lazyre.compile(r"\$\{(?P<name>[^\}:]*)(?::-(?P<default>[^\}]*))?\}")

# The first blank that starts a run of blanks followed by '#': where re.sub(r"\s+#.*") cuts. The look-behind
# lets a match start only where a run starts, so each run is scanned once.
_comment_start = lazyre.compile(r"(?<!\s)\s+#")

# Equal, field by field, to python-dotenv's NamedTuples of the same names.
Original = namedtuple("Original", "string line")
Binding = namedtuple("Binding", "key value original error")


class _Error(Exception):
    """A statement the grammar does not cover: the rest of its line is skipped, and the binding is an error."""


class _Reader:
    def __init__(self, text: str) -> None:
        self.string = text
        self.chars, self.line = 0, 1
        self.mark_chars, self.mark_line = 0, 1

    def has_next(self) -> bool:
        return self.chars < len(self.string)

    def set_mark(self) -> None:
        self.mark_chars, self.mark_line = self.chars, self.line

    def get_marked(self) -> Original:
        return Original(self.string[self.mark_chars:self.chars], self.mark_line)

    def peek(self) -> str:
        return self.string[self.chars:self.chars + 1]

    def read_regex(self, regex: lazyre.LazyPattern) -> tuple[str, ...]:
        match = regex.match(self.string, self.chars)
        if match is None:
            raise _Error
        # Exact as a line count once newlines are universal (only \n), as `parse_stream` makes them.
        self.line += self.string.count("\n", self.chars, match.end())
        self.chars = match.end()
        return match.groups()


def _unescape(regex: lazyre.LazyPattern, text: str) -> str:
    return regex.sub(lambda match: _ESCAPED[match.group(0)], text)


def _key(reader: _Reader) -> str | None:
    char = reader.peek()
    if char == "#":
        return None
    (key,) = reader.read_regex(_single_quoted_key if char == "'" else _unquoted_key)
    return key


def _value(reader: _Reader) -> str:
    char = reader.peek()
    if char == "'":
        (value,) = reader.read_regex(_single_quoted_value)
        return _unescape(_single_quote_escapes, value)
    if char == '"':
        (value,) = reader.read_regex(_double_quoted_value)
        return _unescape(_double_quote_escapes, value)
    (part,) = reader.read_regex(_unquoted_value)
    cut = _comment_start.search(part) if "#" in part else None
    return (part if cut is None else part[: cut.start()]).rstrip()


def _plain(reader: _Reader) -> Binding | None:
    """`KEY=value` alone on its line, as most lines are, read as the grammar reads it but without its regexes
    (a run's first use of them compiles eight, 2.6 M instructions); None for any other statement.

    The grammar's steps on such a line: no blanks to skip, no `export ` (a key holds no blank), the unquoted key
    up to `=`, the sign alone (no blank after it), the unquoted value to the end of the line (no `#` to cut a
    comment at) with its trailing blanks dropped, then the newline."""
    text, start = reader.string, reader.chars
    newline = text.find("\n", start)
    stop = len(text) if newline < 0 else newline
    sign = text.find("=", start, stop)
    if sign <= start or text.find("#", start, stop) >= 0:
        return None
    key, value = text[start:sign], text[sign + 1:stop]
    if key[0] == "'" or key.split() != [key] or value[:1] in ("'", '"') or value[:1].isspace():
        return None
    reader.chars = stop if newline < 0 else stop + 1
    reader.line += newline >= 0
    return Binding(key, value.rstrip(), reader.get_marked(), False)


def _binding(reader: _Reader) -> Binding:
    """One statement, as python-dotenv's `parse_binding` reads it."""
    reader.set_mark()
    plain = _plain(reader)
    if plain is not None:
        return plain
    try:
        reader.read_regex(_multiline_whitespace)
        if not reader.has_next():
            return Binding(None, None, reader.get_marked(), False)
        reader.read_regex(_export)
        key = _key(reader)
        reader.read_regex(_whitespace)
        value = None
        if reader.peek() == "=":
            (equal_sign,) = reader.read_regex(_equal_sign)
            # `KEY= # comment` is an empty value and a comment; `KEY=#v` is the value `#v`.
            value = "" if len(equal_sign) > 1 and reader.peek() == "#" else _value(reader)
        reader.read_regex(_comment)
        reader.read_regex(_end_of_line)
        return Binding(key, value, reader.get_marked(), False)
    except _Error:
        reader.read_regex(_rest_of_line)
        return Binding(None, None, reader.get_marked(), True)


def parse_stream(text: str) -> Iterator[Binding]:
    """The bindings of a dotenv text, as python-dotenv's `parse_stream` gives them for a file opened as text
    (universal newlines: CRLF and CR read as LF; a leading BOM dropped)."""
    reader = _Reader(text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff"))
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

    def _pieces(self, value: str) -> Iterator[str]:
        """python-dotenv's atoms resolved: the text between references, and each reference's value (an unset
        name gives its default, else "")."""
        cursor = 0
        for match in _posix_variable.finditer(value) if "${" in value else ():
            if match.start() > cursor:
                yield value[cursor:match.start()]
            found = self._lookup.get(match["name"], match["default"] if match["default"] is not None else "")
            yield found if found is not None else ""
            cursor = match.end()
        if cursor < len(value):
            yield value[cursor:]

    def expand(self, value: str, name: str, line: int) -> str:
        pieces = list(self._pieces(value))
        length = sum(map(len, pieces))
        if length > len(value) and (length > VALUE_LIMIT or length - len(value) > self.budget):
            self.capped.append((name, line, length))
            return value
        self.budget -= max(0, length - len(value))
        return "".join(pieces)
