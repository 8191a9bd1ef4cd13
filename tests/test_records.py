"""lkdebug.core.records behaves as the standard library's dataclasses for everything the core uses."""

from __future__ import annotations

import dataclasses

import pytest

from lkdebug.core import records


def _pair(frozen: bool):
    """The same class body, decorated once by each module."""

    def body(module):
        @module.dataclass(frozen=frozen)
        class Row:
            name: str
            count: int = 0
            tags: list = module.field(default_factory=list)  # a list: hashed only when it is a tuple
            secret: str = module.field(default="", repr=False)

            def __post_init__(self) -> None:
                object.__setattr__(self, "seen", True)

        return Row

    return body(dataclasses), body(records)


@pytest.mark.parametrize("frozen", [False, True])
def test_init_repr_eq_hash_as_dataclasses(frozen):
    theirs, ours = _pair(frozen)
    for args, kwargs in [(("a",), {}), (("a", 2), {}), (("a",), {"tags": (1,)}), ((), {"name": "b", "secret": "s"}),
                         (("a", 2, (3,), "s"), {})]:
        a, b = theirs(*args, **kwargs), ours(*args, **kwargs)
        assert repr(a).replace("test_init_repr_eq_hash_as_dataclasses.<locals>.", "") == \
            repr(b).replace("test_init_repr_eq_hash_as_dataclasses.<locals>.", "")
        assert b == ours(*args, **kwargs) and b.seen
        assert (b == ours("other")) == (a == theirs("other"))
        assert b != a  # another class is never equal
        if frozen and isinstance(b.tags, tuple):
            assert hash(b) == hash(ours(*args, **kwargs)) == hash(a)  # a dataclass hashes the tuple of its fields
    assert (ours.__hash__ is None) == (theirs.__hash__ is None)
    assert ours("a").tags is not ours("a").tags  # a factory per record


def test_frozen_records_refuse_assignment_like_dataclasses():
    _, ours = _pair(True)
    row = ours("a")
    with pytest.raises(AttributeError):
        row.count = 3
    with pytest.raises(records.FrozenInstanceError):
        del row.name
    assert row.count == 0


def test_bad_arguments_raise_type_error_as_dataclasses():
    theirs, ours = _pair(False)
    for args, kwargs in [((), {}), (("a", 1, [], "s", "extra"), {}), (("a",), {"name": "b"}), (("a",), {"nope": 1})]:
        with pytest.raises(TypeError):
            theirs(*args, **kwargs)
        with pytest.raises(TypeError):
            ours(*args, **kwargs)


def test_replace_copies_with_changes_and_runs_post_init():
    _, ours = _pair(True)
    row = ours("a", 2, [1])
    copy = records.replace(row, count=5)
    assert (copy.name, copy.count, copy.tags, copy.seen) == ("a", 5, [1], True)
    assert row.count == 2
    with pytest.raises(TypeError):
        records.replace(row, nope=1)
    with pytest.raises(TypeError):
        records.replace(object())


def test_a_subclass_keeps_the_base_fields_first_and_may_redefine_one():
    @records.dataclass(frozen=True)
    class Base:
        code: str
        because: str | None = None

    @records.dataclass(frozen=True)
    class Caused(Base):
        because: str | None = "cause"
        extra: int = 1

    assert Caused("x") == Caused("x", "cause", 1)
    assert repr(Caused("x")).endswith("Caused(code='x', because='cause', extra=1)")


def test_a_required_field_after_a_default_is_refused():
    with pytest.raises(TypeError):
        @records.dataclass
        class Bad:
            a: int = 0
            b: int
