"""``harness export``: print a dataset's canonical text (one JSON.stringify line per row).

For the reference profile this is exactly the text the opencode perf-test
generator hashes; ``--data-only`` prints just each row's ``data`` object.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import canonical
from harness.commands import options
from harness.store import open_dataset


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="print the canonical row text", description=__doc__)
    options.add_generation(parser, messages_required=False)
    parser.add_argument("--dataset", type=Path, default=None, help="export a stored dataset instead of generating")
    parser.add_argument("--data-only", action="store_true", help="print only each row's data object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.dataset is not None:
        options.refuse_generation_with(args, "--dataset")
        dataset = open_dataset(args.dataset)
        try:
            canonical.write_canonical(dataset.stored_records(), sys.stdout.buffer, args.data_only)
        finally:
            dataset.close()
    else:
        if args.messages is None:
            raise options.UsageError("give --messages N (or --dataset PATH)")
        stored = canonical.to_stored(options.generate_from_args(args).records)
        canonical.write_canonical(stored, sys.stdout.buffer, args.data_only)
    sys.stdout.flush()
    return 0
