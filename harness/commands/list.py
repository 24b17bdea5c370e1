"""``harness list``: strategies, workloads and measurers, with availability here.

Names, paths and reasons found on this machine (plugins, PATH, pyenv) are shown through
``harness.terminal.visible``: an escape sequence in a file name is printed, not obeyed.
"""

from __future__ import annotations

import argparse
import platform

from harness.measure.catalogue import MEASURERS
from harness.strategies import all_strategies, plugin_errors
from harness.terminal import visible
from harness.workloads.catalogue import WORKLOADS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("list", help="list strategies, workloads and measurers", description=__doc__)
    parser.add_argument(
        "--pythons", action="store_true", help="list the interpreters found for --python instead (pyenv, then PATH)"
    )
    parser.set_defaults(run=run)


def _pythons() -> int:
    from harness.runtime import bun_install as bun
    from harness.runtime.discovery import discover

    print("interpreters (harness bench --python all runs each of them):")
    for candidate in discover():  # names and paths as found in PATH and pyenv: shown, never obeyed
        spec, version = visible(candidate.spec), visible(candidate.version or "?")
        print(f"  {spec:<12} {version:<9} {candidate.source:<6} {visible(candidate.executable)}")
    reason = bun.installable()
    where = bun.executable() if reason is None else f"unavailable: {reason}"
    print(f"  {bun.TAG:<12} {bun.BUN_VERSION:<9} {'npm':<6} {visible(where)}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.pythons:
        return _pythons()
    print(
        f"strategies (on {platform.python_implementation()} {platform.python_version()}; "
        "any of them also as cached:<name>; on imported rows, those built from a schema):"
    )
    for name, strategy in all_strategies().items():
        ok, reason = strategy.available()
        state = "available" if ok else f"unavailable: {reason}"
        print(f"  {name:<22} {visible(strategy.description)}  [{visible(state)}]")
    for name, error in plugin_errors().items():
        print(f"  {visible(name):<22} plugin failed to load: {visible(error)}")
    print("workloads (job parameters in brackets):")
    for name, workload in WORKLOADS.items():
        params = ", ".join(f"{param.name}={param.default!r}" for param in workload.params)
        only = " (opencode datasets only: refuses imported rows)" if workload.opencode_only else ""
        print(f"  {name:<22} {workload.description}{only}" + (f"  [{params}]" if params else ""))
    print("measurers:")
    for name, measurer in MEASURERS.items():
        ok, detail = measurer.availability()
        state = f"  [{visible(detail)}]" if detail else ""
        print(f"  {name:<22} {measurer.description}{state}")
    return 0
