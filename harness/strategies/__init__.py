"""Registry of hydration strategies: one module per strategy, each registering one class.

Built-in strategies are the modules of this package, apart from the contract (``base``), the
row cache (``cache``), the equivalence check (``equivalence``) and shared helpers (``_*``).
Third-party strategies come from the ``harness.strategies`` entry-point group: each entry point
names either a module that registers its strategy on import or a ``Strategy`` subclass, e.g.

    [project.entry-points."harness.strategies"]
    mine = "my_package.my_strategy:MyStrategy"
"""

from __future__ import annotations

import difflib
import functools
import importlib
import pkgutil
import re
from typing import Dict, List, Optional, Type

from harness.schemas import OPENCODE, Schema
from harness.strategies.base import Strategy
from harness.strategies.cache import with_row_cache
from harness.strategy_names import CACHED, uncached

#: Modules of this package that are not strategies.
SUPPORT_MODULES = ("base", "cache", "equivalence")
ENTRY_POINT_GROUP = "harness.strategies"
#: A strategy name: it is typed on command lines, split on commas, printed in tables and is part
#: of job ids and so of file names — letters, digits, ``-``, ``_`` and ``.``, starting with a
#: letter or digit (no control, bidirectional or markup characters, no path separators).
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_REGISTRY: Dict[str, Type[Strategy]] = {}
_PLUGIN_ERRORS: Dict[str, str] = {}
_LOADED = False


def register(cls: Type[Strategy]) -> Type[Strategy]:
    """Class decorator: add a strategy under its ``name``; a name may be taken only once, and must
    match ``NAME``."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__qualname__} has no strategy name")
    if not NAME.fullmatch(name):
        raise ValueError(
            f"strategy name {name!r} of {cls.__qualname__} is not allowed: "
            "use letters, digits, '-', '_' and '.' (64 at most), starting with a letter or digit"
        )
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise ValueError(f"strategy {name!r} is registered twice")
    _REGISTRY[name] = cls
    return cls


def builtin_modules() -> List[str]:
    """Names of the modules of this package that each define one strategy (not the support modules,
    not the ``_`` helpers)."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(__path__)
        if info.name not in SUPPORT_MODULES and not info.name.startswith("_")
    )


def _entry_points() -> list:
    from importlib.metadata import entry_points

    found = entry_points()
    if hasattr(found, "select"):
        return list(found.select(group=ENTRY_POINT_GROUP))
    return list(found.get(ENTRY_POINT_GROUP, ()))  # Python 3.9


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for module in builtin_modules():
        importlib.import_module(f"{__name__}.{module}")
    for entry in _entry_points():
        try:
            loaded = entry.load()
            if isinstance(loaded, type) and issubclass(loaded, Strategy):
                register(loaded)
        except Exception as error:  # a broken plugin must not take the harness down
            _PLUGIN_ERRORS[ascii(entry.name)[1:-1]] = f"{type(error).__name__}: {error}"


def plugin_errors() -> Dict[str, str]:
    """Entry points that failed to load, with the error each raised."""
    _load()
    return dict(_PLUGIN_ERRORS)


def all_strategies() -> Dict[str, Type[Strategy]]:
    """Every registered strategy by name, in name order."""
    _load()
    return dict(sorted(_REGISTRY.items()))


def get(name: str, schema: Optional[Schema] = None) -> Type[Strategy]:
    """The strategy called ``name``, built for ``schema`` (None or the built-in one: as registered);
    ``cached:<name>`` wraps a fresh row cache around it.

    Raises UnknownStrategy, suggesting the closest name, for a name not registered.
    """
    if name.startswith(CACHED):
        base = uncached(name)
        if base.startswith(CACHED):
            raise UnknownStrategy(name, [], f"{name!r} is malformed: the row cache wraps a strategy, not a cached one")
        return with_row_cache(get(base, schema))
    strategy = _builtin_alone(name)
    if strategy is None:
        strategies = all_strategies()
        if name not in strategies:
            raise UnknownStrategy(name, list(strategies))
        strategy = strategies[name]
    if schema is None or schema == OPENCODE:
        return strategy
    return for_schema(strategy, schema)  # type: ignore[arg-type]  # a class hashes (type.__hash__); mypy checks its unbound __hash__


@functools.cache
def for_schema(strategy: Type[Strategy], schema: Schema) -> Type[Strategy]:
    """``strategy`` specialised for a non-built-in ``schema`` (built once per schema): a subclass
    with the functions its ``schema_build`` returns, or one that reports itself unavailable (with
    the reason) when it cannot run here or is written for opencode's schema only."""
    ok, reason = strategy.available()
    if not ok:
        return _unavailable(strategy, reason)
    build = vars(strategy).get("schema_build")  # its own: a subclass building differently is not its base
    if build is None:
        return _unavailable(strategy, f"written for opencode's schema; it cannot be built for schema {schema.name!r}")
    try:
        built = build.__func__(schema)
    except ValueError as error:  # a schema it cannot express (msgspec refuses some field names)
        return _unavailable(strategy, f"cannot be built for schema {schema.name!r}: {error}")
    functions = {key: staticmethod(function) for key, function in built.items()}
    functions["open_map_access"] = Strategy.__dict__["open_map_access"]  # opencode's tool parts only
    return type(strategy.__name__, (strategy,), {**functions, "schema": schema})


def _unavailable(strategy: Type[Strategy], reason: str) -> Type[Strategy]:
    """A subclass of ``strategy`` that reports itself unavailable, for ``reason``."""
    return type(strategy.__name__, (strategy,), {"available": classmethod(lambda cls: (False, reason))})


def _builtin_alone(name: str) -> Optional[Type[Strategy]]:
    """A built-in strategy found by importing the one module named after it (``msgspec-lazy`` in
    ``msgspec_lazy``) instead of every strategy and plugin: a job process and each of its pyperf
    workers need one strategy, and importing all of them (pydantic, attrs, msgspec…) costs about a
    tenth of a second each time. None when no module carries the name (then the full registry)."""
    if _LOADED:
        return _REGISTRY.get(name)
    module = name.replace("-", "_")
    if module not in builtin_modules():
        return None
    importlib.import_module(f"{__name__}.{module}")
    return _REGISTRY.get(name)


class Unavailable(LookupError):
    """A registered strategy that cannot run on this interpreter (the message says why)."""


def get_available(name: str, schema: Optional[Schema] = None) -> Type[Strategy]:
    """``get(name, schema)``, raising Unavailable with the reason when it cannot run here."""
    strategy = get(name, schema)
    ok, reason = strategy.available()
    if not ok:
        raise Unavailable(f"strategy {name!r} is unavailable here: {reason}")
    return strategy


class UnknownStrategy(KeyError):
    """A strategy name that is not registered; the message suggests the closest one."""

    def __init__(self, name: str, known: List[str], message: str = "") -> None:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; choose from {', '.join(known)}"
        super().__init__(message or f"unknown strategy {name!r}{hint}")

    def __str__(self) -> str:
        return str(self.args[0])
