"""lkdebug's linear dotenv parser gives exactly python-dotenv's bindings, and expansion copies nothing per line."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping

from dotenv import dotenv_values
from dotenv.parser import parse_stream as dotenv_parse_stream
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lkdebug.core import dotenv_parse
from lkdebug.core.dotenv_sources import read_dotenv
from tests.conftest import examples

# Pieces that matter to dotenv's grammar: quotes, escapes, comments, `export`, blanks of every kind
# (\s in a regex, str.isspace), newlines of every kind, expansions.
PIECES = st.sampled_from([
    "A", "LIVEKIT_URL", "b", "=", "==", " = ", "#", " #", "\t#", "'", '"', "\\", "\\'", '\\"', "\\n", " ", "\t",
    "\x0b", "\x0c", "\x1c", "\x85", "\u00a0", "\u2028", "\u3000", "\n", "\r\n", "\r", "export ", "export\t", "$",
    "${A}", "${A:-d}", "${", "}", "x y", "é", "\ufeff",
])
DOTENV_TEXT = st.one_of(st.lists(PIECES, max_size=40).map("".join), st.text(max_size=80))


# 500 examples in `make test` (it was 3000 in every run: 3 s of CPU, 10 s under load), 5000 in the
# thorough profile .ci/run uses (tests/conftest.py).
@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOTENV_TEXT)
@example("A=x   y # c\nB='q' # c\nC=\"m\nn\"\nD= #c\nE=#v\n  export F = g   \n")
@example("A=x \x85#c\nB=\u3000\u3000#c")
@example("A=\nB=x \x0b\nC=x'y\n'D'=1\nE=\"x\"\nF= x\nexport=1\nG==\nH=a=b\n=x\nI\x85=1\nJ\u3000=1\nK=v")
def test_same_bindings_and_lines_as_python_dotenv(text):
    # As python-dotenv reads a file: open() in text mode, universal newlines.
    assert list(dotenv_parse.parse_stream(text)) == list(dotenv_parse_stream(io.StringIO(text, newline=None)))


class CountingEnviron(Mapping[str, str]):
    """An environment that counts how often it is walked whole (a copy per line made reading quadratic)."""

    def __init__(self, values: dict[str, str]):
        self.values, self.walks = values, 0

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    def __iter__(self) -> Iterator[str]:
        self.walks += 1
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def test_expansion_looks_names_up_without_copying_the_environment(tmp_path):
    path = tmp_path / ".env"
    path.write_text("".join(f"V{i}=${{HOME_DIR}}/{i}\n" for i in range(2000)) + "LIVEKIT_URL=wss://${V1999}\n")
    environ = CountingEnviron({"HOME_DIR": "/h"})
    _, variables, _ = read_dotenv(path, ".env", environ)
    assert environ.walks == 0
    assert [v.value for v in variables] == ["wss:///h/1999"]


def test_expansion_matches_python_dotenv_on_what_it_covers(tmp_path):
    path = tmp_path / ".env"
    path.write_text('LIVEKIT_HOST=h.example.net\nLIVEKIT_URL="wss://${LIVEKIT_HOST}:${PORT:-443}"\n'
                    "LIVEKIT_WS_URL='${LIVEKIT_HOST}'\nexport LIVEKIT_API_KEY=${MISSING}k # c\n")
    _, variables, _ = read_dotenv(path, ".env", {})
    ours = {v.name: v.value for v in variables}
    theirs = dotenv_values(path)
    assert ours == {k: v for k, v in theirs.items() if k in ours}
    assert ours["LIVEKIT_URL"] == "wss://h.example.net:443" and ours["LIVEKIT_API_KEY"] == "k"
