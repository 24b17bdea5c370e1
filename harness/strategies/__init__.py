"""Registry of hydration strategies: one module per strategy, each registering one class.

Built-in strategies are the modules of this package; third-party strategies come
from the ``harness.strategies`` entry-point group (B extends discovery).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Dict, List, Type

from harness.strategies.base import Strategy

_REGISTRY: Dict[str, Type[Strategy]] = {}
_LOADED = False


def register(cls: Type[Strategy]) -> Type[Strategy]:
    """Class decorator: add a strategy under its ``name``; a name may be taken only once."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__qualname__} has no strategy name")
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise ValueError(f"strategy {name!r} is registered twice")
    _REGISTRY[name] = cls
    return cls


def builtin_modules() -> List[str]:
    """Names of the modules of this package that each define one strategy.

    ``base`` and modules whose names start with ``_`` are shared helpers, not strategies.
    """
    return sorted(info.name for info in pkgutil.iter_modules(__path__)
                  if info.name != "base" and not info.name.startswith("_"))


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    for module in builtin_modules():
        importlib.import_module(f"{__name__}.{module}")
    _LOADED = True


def all_strategies() -> Dict[str, Type[Strategy]]:
    """Every registered strategy by name, in name order."""
    _load()
    return dict(sorted(_REGISTRY.items()))


def get(name: str) -> Type[Strategy]:
    """The strategy called ``name``; KeyError naming the choices otherwise."""
    strategies = all_strategies()
    if name not in strategies:
        raise KeyError(f"unknown strategy {name!r}; choose from {', '.join(strategies)}")
    return strategies[name]
