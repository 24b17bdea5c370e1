"""``harness generate``: write a dataset in opencode's SQLite layout, with its manifest."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from harness.commands import options
from harness.store import default_name, write_dataset

DEFAULT_DIR = Path("datasets")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("generate", help="generate a dataset (SQLite + manifest)", description=__doc__)
    options.add_generation(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"dataset file (default: {DEFAULT_DIR}/<profile>-s<seed>-m<messages>….sqlite)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out = args.out
    if out is None:
        DEFAULT_DIR.mkdir(exist_ok=True)
        out = DEFAULT_DIR / default_name(
            args.profile, args.seed, args.messages, args.avg_parts, args.sessions, dict(args.set)
        )
    started = time.perf_counter()
    generated = options.generate_from_args(args)
    manifest = write_dataset(out, generated)
    print(
        f"{out}: {manifest['messages']} messages, {manifest['parts']} parts, "
        f"{len(manifest['session_ids'])} session(s), sha256 {manifest['sha256'][:16]}… "
        f"({time.perf_counter() - started:.1f} s)"
    )
    return 0
