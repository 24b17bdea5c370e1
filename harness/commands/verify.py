"""``harness verify``: every available strategy must keep the content of every row.

Each row is hydrated by each strategy and ``to_dict`` is compared with the
canonical content (``harness.strategies.equivalence``). Exit status 1 names the first
strategy, row and key that differ. Without options it checks 1,000 messages of the reference
profile at seed 11 (the opencode perf test's data, cut short).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Type

from harness import canonical
from harness.commands import options
from harness.strategies.base import Strategy
from harness.strategies.equivalence import first_difference
from harness.terminal import visible

#: Messages checked when --messages is not given.
DEFAULT_MESSAGES = 1000


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("verify", help="check every strategy keeps every row's content", description=__doc__)
    options.add_generation(parser, messages_required=False)
    options.add_strategies(parser, default="all")
    parser.set_defaults(run=run, messages=DEFAULT_MESSAGES)


def run(args: argparse.Namespace) -> int:
    stored = list(canonical.to_stored(options.generate_from_args(args).records))
    strategies: List[Type[Strategy]] = options.chosen_strategies(args.strategies, controls=False)
    failed = 0
    for strategy in strategies:
        found = first_difference(strategy, stored)
        if found:
            failed += 1
            print(f"{strategy.name}: row {visible(found[0])} differs at {visible(found[1])}", file=sys.stderr)
        else:
            print(f"{strategy.name}: ok ({len(stored)} messages)")
    return 1 if failed else 0
