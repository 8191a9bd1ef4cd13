"""lkdebug.core.lazyre: a pattern compiled on first use, behaving as re.compile's from then on."""

from __future__ import annotations

import re

import pytest

from lkdebug.core import lazyre


def test_a_lazy_pattern_answers_as_the_compiled_one():
    lazy, eager = lazyre.compile(r"(\w+)=(\d+)", re.ASCII), re.compile(r"(\w+)=(\d+)", re.ASCII)
    text = "a=1 b=x c=22 é=3"
    assert lazy.findall(text) == eager.findall(text)
    assert lazy.sub(r"\2=\1", text) == eager.sub(r"\2=\1", text)
    assert lazy.match(text, 4) is None and lazy.match(text, 8).groups() == ("c", "22")
    assert (lazy.pattern, lazy.flags, lazy.groups) == (eager.pattern, eager.flags, eager.groups)


def test_nothing_is_compiled_before_first_use():
    broken = lazyre.compile("(unclosed")  # re.compile would raise here, at import
    with pytest.raises(re.error):
        broken.search("x")
