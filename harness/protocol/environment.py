"""Where a measurement ran: exact interpreter build, GC settings, machine, package versions.

Recorded with every job result so that figures from different interpreters or
machines are never compared unknowingly. ``fingerprint`` hashes the parts that
make results comparable (interpreter build and package versions, not the time).
``imports`` names the packages the measurement imported (``imported``): a version
difference in any other package cannot have moved its figures.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import platform
import sys
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Set

PACKAGES = ("shape-harness", "pyperf", "psutil", "msgspec", "memray", "attrs", "pydantic", "scalene")
#: The top-level modules of the packages whose modules are not named as the package is.
MODULES = {"shape-harness": ("harness",), "attrs": ("attrs", "attr")}
#: Packages imported by the processes that measured for this one (``imported_elsewhere``).
_IMPORTED_ELSEWHERE: Set[str] = set()


def _package_versions() -> Dict[str, Optional[str]]:
    from importlib.metadata import PackageNotFoundError, version

    found: Dict[str, Optional[str]] = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def imported_elsewhere(names: Iterable[str]) -> None:
    """Count the packages imported by the processes that measured for this one (pyperf's workers,
    scalene's profiled target) as imported here: the environment recorded next names them."""
    _IMPORTED_ELSEWHERE.update(name for name in names if name in PACKAGES)


def imported() -> List[str]:
    """The packages (of ``PACKAGES``) whose top-level module this process has imported (a module
    blocked by a ``None`` in ``sys.modules`` is not), and those imported by the processes that
    measured for it; sorted."""
    here = {name for name in PACKAGES if any(sys.modules.get(module) for module in MODULES.get(name, (name,)))}
    return sorted(here | _IMPORTED_ELSEWHERE)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_bytes() -> Optional[int]:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def interpreter() -> Dict[str, Any]:
    """The running interpreter, exactly."""
    info: Dict[str, Any] = {
        "implementation": platform.python_implementation(),
        "version": platform.python_version(),
        "sys_version": sys.version,
        "executable": sys.executable,
        "build": " ".join(platform.python_build()),
        "compiler": platform.python_compiler(),
        "gc_thresholds": list(gc.get_threshold()) if hasattr(gc, "get_threshold") else None,  # not on PyPy
        "gil_disabled": bool(getattr(sys, "_is_gil_enabled", lambda: True)() is False),
    }
    pypy = getattr(sys, "pypy_version_info", None)
    if pypy is not None:
        info["pypy_version"] = ".".join(str(part) for part in pypy[:3])
    return info


def label(env: Dict[str, Any]) -> str:
    """The runtime an environment records, as tables and reports name it: ``CPython 3.11.7``, ``JSC Bun 1.4.5``."""
    described = env["interpreter"]
    return f"{described['implementation']} {described['version']}"


def machine() -> Dict[str, Any]:
    return {
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_bytes": _memory_bytes(),
    }


def environment() -> Dict[str, Any]:
    """Interpreter, machine, packages and the packages imported so far (``imported``), plus the
    fingerprint of the comparable parts."""
    packages = _package_versions()
    found: Dict[str, Any] = {
        "interpreter": interpreter(),
        "machine": machine(),
        "packages": packages,
        "imports": imported(),
    }
    found["fingerprint"] = fingerprint(found)
    return found


def fingerprint_basis(env: Dict[str, Any]) -> Dict[str, Any]:
    """What decides whether two results may be compared: interpreter build, CPU, package versions."""
    interp = env["interpreter"]
    return {
        "implementation": interp["implementation"],
        "sys_version": interp["sys_version"],
        "cpu_model": env["machine"]["cpu_model"],
        "packages": env["packages"],
    }


def fingerprint(env: Dict[str, Any]) -> str:
    """A short hash of ``fingerprint_basis``."""
    return hashlib.sha256(json.dumps(fingerprint_basis(env), sort_keys=True).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Difference:
    """A fingerprinted key on which two environments differ: ``key A -> B``."""

    key: str
    a: Any
    b: Any
    #: The package whose version differs (``key`` is ``packages/<name>``), None for the others.
    package: Optional[str] = None

    def __str__(self) -> str:
        return f"{self.key} {self.a} -> {self.b}"


def differences(env_a: Dict[str, Any], env_b: Dict[str, Any]) -> List[Difference]:
    """The fingerprinted keys on which two environments differ (packages as ``packages/<name>``);
    empty when either lacks the recorded details (then only hashes remain)."""
    try:
        basis_a, basis_b = fingerprint_basis(env_a), fingerprint_basis(env_b)
    except (KeyError, TypeError):
        return []
    packages_a, packages_b = basis_a.pop("packages") or {}, basis_b.pop("packages") or {}
    found = [Difference(key, basis_a[key], basis_b[key]) for key in basis_a if basis_a[key] != basis_b[key]]
    for name in sorted({*packages_a, *packages_b}):
        if packages_a.get(name) != packages_b.get(name):
            found.append(Difference(f"packages/{name}", packages_a.get(name), packages_b.get(name), name))
    return found
