"""The strategy contract: how one hydration strategy turns stored rows into objects.

A stored row is a tuple of SQLite column values with ``data`` as JSON text:
``(id, session_id, time_created, time_updated, data)`` for a message and
``(id, message_id, session_id, time_created, time_updated, data)`` for a part.
Decoding the JSON is part of hydration, so strategies that can decode straight
into their objects may do so.
"""

from __future__ import annotations

import importlib.util
import platform
from typing import Any, Callable, ClassVar, Dict, Optional, Sequence, Tuple


class Strategy:
    """Subclass, set the class attributes, implement the four static methods, then ``@register``.

    The hooks (``info``, ``part``, ``to_dict``, ``shape``, ``field``, ``access``, ``open_map_access``)
    are called positionally, so a subclass may set one to any callable taking its arguments in that
    order: a compiled kernel, or a C builtin such as ``dict.get`` (no wrapper call on the hot path)."""

    name: ClassVar[str]
    description: ClassVar[str]
    #: Importable modules the strategy needs.
    requires: ClassVar[Tuple[str, ...]] = ()
    #: Python implementations it runs on (``platform.python_implementation()``, lower case).
    implementations: ClassVar[Tuple[str, ...]] = ("cpython", "pypy")
    #: A control (a floor to compare against), not a strategy: its objects need not keep the row's
    #: content, so equivalence checks skip it.
    control: ClassVar[bool] = False
    #: ``build(schema)`` -> this strategy's functions for a schema (``harness.strategies._from_schema``:
    #: the built-in one's are built on first use, any other's on demand); None: it is written for
    #: opencode's schema only. Only a class's own setting counts (a subclass that builds
    #: differently does not inherit its base's).
    schema_build: ClassVar[Optional[Callable[..., Dict[str, Callable[..., Any]]]]] = None

    @classmethod
    def available(cls) -> Tuple[bool, str]:
        """Whether the strategy runs here, and why not when it does not."""
        implementation = platform.python_implementation().lower()
        if implementation not in cls.implementations:
            return False, f"not supported on {platform.python_implementation()}"
        missing = [module for module in cls.requires if importlib.util.find_spec(module) is None]
        if missing:
            return False, f"needs {', '.join(missing)} (not installed)"
        return True, ""

    @staticmethod
    def info(row: Tuple, /) -> Any:
        """Build one message info from a stored message row."""
        raise NotImplementedError

    @staticmethod
    def part(row: Tuple, /) -> Any:
        """Build one part from a stored part row."""
        raise NotImplementedError

    @staticmethod
    def to_dict(obj: Any, /) -> Dict[str, Any]:
        """The object as plain JSON data, for equivalence checks."""
        raise NotImplementedError

    @staticmethod
    def shape(obj: Any, /) -> Tuple[str, ...]:
        """The ordered field names an object carries (None-valued ones included; the attributes it
        stores, a lazy strategy's undecoded ones too): its shape for the census. The default
        understands dicts, plain instances, namedtuples, msgspec Structs, pydantic models and
        ``__slots__`` classes."""
        return object_fields(obj)

    @staticmethod
    def field(obj: Any, key: str, /) -> Any:
        """One field of an object or None: the few reads workloads make outside the access kernel."""
        return getattr(obj, key, None)

    @staticmethod
    def access(infos: Sequence[Any], iterations: int, /) -> float:
        """The seed's access loop: read the seven properties of every info, ``iterations`` times,
        in the strategy's native syntax; returns the accumulator so nothing is optimised away."""
        raise NotImplementedError

    @staticmethod
    def open_map_access(parts: Sequence[Any], iterations: int, /) -> float:
        """The ``open-map`` access loop: ``len`` of every tool part's ``state.input`` (an open map),
        ``iterations`` times, in the strategy's native syntax (``harness.strategies._kernel``)."""
        raise NotImplementedError


def object_fields(obj: Any) -> Tuple[str, ...]:
    """Field names of an object in their order, whatever kind of object it is. A msgspec Struct's are
    its fields, before any ``__dict__``: a ``dict=True`` Struct's holds no field (``msgspec-lazy-memo``
    keeps its memo there), and reading it would make one."""
    if isinstance(obj, dict):
        return tuple(obj)
    cls = type(obj)
    struct_fields = getattr(cls, "__struct_fields__", None)
    if struct_fields is not None:
        return tuple(struct_fields)
    if getattr(obj, "__dict__", None):  # instance attributes in the order they were set
        return tuple(vars(obj))
    names = getattr(cls, "_fields", None)
    if names is not None:
        return tuple(names)
    model_fields = getattr(cls, "model_fields", None)
    if model_fields is not None:
        return tuple(model_fields)
    return tuple(
        name for klass in reversed(cls.__mro__) for name in getattr(klass, "__slots__", ()) if name not in _NOT_FIELDS
    )


#: Slots that hold no field (``attrs`` gives its slotted classes a ``__weakref__``).
_NOT_FIELDS = ("__weakref__", "__dict__")
