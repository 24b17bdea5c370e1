"""``harness generate``: write a dataset in opencode's SQLite layout, with its manifest.

With ``--plan NAME`` it makes every dataset a bench plan reads (those missing are
generated, every one is verified) and prints their paths, one per line.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from harness.commands import options
from harness.generate import default_name
from harness.runs.plans import PLANS
from harness.store import write_dataset


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("generate", help="generate a dataset (SQLite + manifest)", description=__doc__)
    options.add_generation(parser, messages_required=False)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=options.dataset_out_help("<profile>-s<seed>-m<messages>….sqlite"),
    )
    parser.add_argument(
        "--plan",
        choices=tuple(PLANS),
        default=None,
        help="make every dataset of this bench plan instead (in datasets/) and print their paths",
    )
    parser.set_defaults(run=run)


def plan_datasets(name: str) -> int:
    from harness.runs.runner import ensure_datasets

    found = ensure_datasets(PLANS[name].datasets, say=lambda text: print(text, file=sys.stderr))
    for entry in found.values():
        print(entry["path"])
    return 0


def run(args: argparse.Namespace) -> int:
    if args.plan is not None:
        given = options.given_generation_flags(args) + (["--out"] if args.out is not None else [])
        if given:
            raise options.UsageError(f"--plan makes the plan's own datasets; it takes no {', '.join(given)}")
        return plan_datasets(args.plan)
    if args.messages is None:
        raise options.UsageError("give --messages N (or --plan NAME)")
    out = options.dataset_out(args.out, default_name(options.generation_spec(args)))
    from harness.runs.runner import stop_signals

    started = time.perf_counter()
    with stop_signals():  # SIGTERM and SIGHUP unwind like Ctrl-C: no temporary file is left behind
        generated = options.generate_from_args(args, out)
        manifest = write_dataset(out, generated)
    print(
        f"{out}: {manifest['messages']} messages, {manifest['parts']} parts, "
        f"{len(manifest['session_ids'] or ())} session(s), sha256 {manifest['sha256'][:16]}… "
        f"({time.perf_counter() - started:.1f} s)"
    )
    return 0
