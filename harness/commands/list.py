"""``harness list``: strategies, workloads and measurers, with availability here."""

from __future__ import annotations

import argparse
import platform

from harness.strategies import all_strategies, plugin_errors
from harness.workloads import WORKLOADS

MEASURERS = {
    "census": "key sets / key orders / classes, CPython compact layout, GC-tracked objects, deep bytes",
    "timing": "pyperf: seconds per call and ns per read / row / message, several worker processes",
    "gcprobe": "gc.callbacks: GC share of wall time, per-generation pauses; GC-off and freeze controls",
    "memory": "memray: peak and retained bytes per message, allocations, flamegraph; RSS fallback",
    "profile": "scalene profile of a plain workload process (optional: needs scalene)",
}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("list", help="list strategies, workloads and measurers",
                                   description=__doc__)
    parser.add_argument("--pythons", action="store_true",
                        help="list the interpreters found for --python instead (pyenv, then PATH)")
    parser.set_defaults(run=run)


def _pythons() -> int:
    from harness.interpreters import discover

    print("interpreters (harness bench --python all runs each of them):")
    for candidate in discover():
        version = candidate.version or "?"
        print(f"  {candidate.spec:<12} {version:<9} {candidate.source:<6} {candidate.executable}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.pythons:
        return _pythons()
    print(f"strategies (on {platform.python_implementation()} {platform.python_version()}; "
          "any of them also as cached:<name>):")
    for name, strategy in all_strategies().items():
        ok, reason = strategy.available()
        state = "available" if ok else f"unavailable: {reason}"
        print(f"  {name:<22} {strategy.description}  [{state}]")
    for name, error in plugin_errors().items():
        print(f"  {name:<22} plugin failed to load: {error}")
    print("workloads:")
    for name, description in WORKLOADS.items():
        print(f"  {name:<22} {description}")
    print("measurers:")
    for name, description in MEASURERS.items():
        print(f"  {name:<22} {description}")
    return 0
