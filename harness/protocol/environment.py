"""Where a measurement ran: exact interpreter build, GC settings, machine, package versions.

Recorded with every job result so that figures from different interpreters or
machines are never compared unknowingly. ``fingerprint`` hashes the parts that
make results comparable (interpreter build and package versions, not the time).
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import platform
import sys
from typing import Any, Dict, List, Optional

PACKAGES = ("shape-harness", "pyperf", "psutil", "msgspec", "memray", "attrs", "pydantic", "scalene")


def _package_versions() -> Dict[str, Optional[str]]:
    from importlib.metadata import PackageNotFoundError, version

    found: Dict[str, Optional[str]] = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


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
    """Interpreter, machine and packages, plus the fingerprint of the comparable parts."""
    packages = _package_versions()
    found: Dict[str, Any] = {"interpreter": interpreter(), "machine": machine(), "packages": packages}
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


def differences(env_a: Dict[str, Any], env_b: Dict[str, Any]) -> List[str]:
    """The fingerprinted keys on which two environments differ, as ``key A -> B`` (packages as
    ``packages/<name>``); empty when either lacks the recorded details (then only hashes remain)."""
    try:
        basis_a, basis_b = fingerprint_basis(env_a), fingerprint_basis(env_b)
    except (KeyError, TypeError):
        return []
    packages_a, packages_b = basis_a.pop("packages") or {}, basis_b.pop("packages") or {}
    pairs = [(key, basis_a[key], basis_b[key]) for key in basis_a]
    pairs += [
        (f"packages/{name}", packages_a.get(name), packages_b.get(name)) for name in sorted({*packages_a, *packages_b})
    ]
    return [f"{key} {a} -> {b}" for key, a, b in pairs if a != b]
