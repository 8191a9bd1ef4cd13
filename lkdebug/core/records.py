"""`@dataclass` for the core's records, without the `dataclasses` module: `dataclass`, `field`, `replace`.

The standard library's `dataclasses` imports `inspect` (and with it `ast`, `dis`, `tokenize`) and compiles
the source of an `__init__`, `__repr__`, `__eq__` (and `__hash__`, `__setattr__` when frozen) for every
class it decorates: for the few dozen records `lkdebug token decode` loads, that cost more than the rest of
the command. These records have the same behaviour for what the core uses, with shared methods that read
the field list instead of compiled ones:

- `@dataclass` and `@dataclass(frozen=True)`; fields are the class's own annotations in order (and a base
  record's first), a class attribute is a field's default, `field(default=..., default_factory=...,
  repr=False)` as in `dataclasses`;
- `__init__(*fields)` by position or keyword, then `__post_init__()` when the class has one; `__repr__`
  `Name(a=1, b='x')`; `__eq__` field by field against the same class; frozen: hashable by its fields and
  `FrozenInstanceError` (an AttributeError) on assignment; not frozen: unhashable, as a dataclass is;
- `replace(record, **changes)`, a copy with some fields changed (`__init__` and `__post_init__` run again).

Not provided (nothing in the core uses them): `fields`, `asdict`, ordering, `slots`, `kw_only`, `InitVar`,
`ClassVar`. A record is not a `dataclasses` dataclass: use this module's `replace`, not `dataclasses.replace`.
"""

from __future__ import annotations

_MISSING = object()


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen record."""


class Field:
    __slots__ = ("name", "default", "default_factory", "repr")

    def __init__(self, default: object = _MISSING, default_factory: object = _MISSING, repr: bool = True) -> None:
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.default, self.default_factory, self.repr = default, default_factory, repr


def field(*, default: object = _MISSING, default_factory: object = _MISSING, repr: bool = True) -> object:
    """A field's default (or a factory called for each new record), and whether `repr` shows it."""
    return Field(default, default_factory, repr)


def dataclass(cls: type | None = None, /, *, frozen: bool = False):
    """`@dataclass` or `@dataclass(frozen=True)` over a class whose annotations are its fields."""

    def wrap(cls: type) -> type:
        return _record(cls, frozen)

    return wrap if cls is None else wrap(cls)


def replace(record: object, /, **changes: object) -> object:
    """A new record of the same class, with `changes` and every other field as in `record`."""
    fields = getattr(type(record), "__record_fields__", None)
    if fields is None:
        raise TypeError("replace() should be called on a record")
    return type(record)(**{f.name: changes.pop(f.name) if f.name in changes else getattr(record, f.name)
                           for f in fields}, **changes)


def _record(cls: type, frozen: bool) -> type:
    fields: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        fields.update((f.name, f) for f in getattr(base, "__record_fields__", ()))
    for name in cls.__dict__.get("__annotations__", {}):
        value = cls.__dict__.get(name, _MISSING)
        f = value if isinstance(value, Field) else Field(default=value)
        f.name = name
        if f.default is _MISSING:
            if isinstance(value, Field):
                delattr(cls, name)
        else:
            setattr(cls, name, f.default)
        fields[name] = f
    ordered = tuple(fields.values())
    defaulted = False
    for f in ordered:
        if f.default is not _MISSING or f.default_factory is not _MISSING:
            defaulted = True
        elif defaulted:
            raise TypeError(f"non-default argument {f.name!r} follows default argument in {cls.__qualname__}")
    cls.__record_fields__ = ordered
    names = tuple(fields)
    shown = tuple(f.name for f in ordered if f.repr)
    assign = object.__setattr__ if frozen else setattr
    post_init = getattr(cls, "__post_init__", None)

    def __init__(self, *args, **kwargs):
        if len(args) > len(ordered):
            raise TypeError(f"{cls.__qualname__}.__init__() takes {len(ordered) + 1} positional arguments "
                            f"but {len(args) + 1} were given")
        for name in kwargs:
            if name not in fields:
                raise TypeError(f"{cls.__qualname__}.__init__() got an unexpected keyword argument {name!r}")
        for index, f in enumerate(ordered):
            if index < len(args):
                if f.name in kwargs:
                    raise TypeError(f"{cls.__qualname__}.__init__() got multiple values for argument {f.name!r}")
                value = args[index]
            elif f.name in kwargs:
                value = kwargs[f.name]
            elif f.default is not _MISSING:
                value = f.default
            elif f.default_factory is not _MISSING:
                value = f.default_factory()
            else:
                raise TypeError(f"{cls.__qualname__}.__init__() missing required argument: {f.name!r}")
            assign(self, f.name, value)
        if post_init is not None:
            self.__post_init__()

    def __repr__(self):
        return f"{type(self).__qualname__}({', '.join(f'{name}={getattr(self, name)!r}' for name in shown)})"

    def values(self) -> tuple:
        return tuple(getattr(self, name) for name in names)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return values(self) == values(other)  # a tuple, as a dataclass compares: `is` before `==`, field by field

    cls.__init__, cls.__repr__, cls.__eq__ = __init__, __repr__, __eq__
    if frozen:
        def __setattr__(self, name, value):
            if type(self) is cls or name in fields:
                raise FrozenInstanceError(f"cannot assign to field {name!r}")
            super(cls, self).__setattr__(name, value)

        def __delattr__(self, name):
            if type(self) is cls or name in fields:
                raise FrozenInstanceError(f"cannot delete field {name!r}")
            super(cls, self).__delattr__(name)

        cls.__setattr__, cls.__delattr__ = __setattr__, __delattr__
        cls.__hash__ = lambda self: hash(values(self))
    elif "__hash__" not in cls.__dict__:
        cls.__hash__ = None  # mutable and compared by value, as a dataclass: no hash
    return cls
