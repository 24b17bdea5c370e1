"""``harness import opencode PATH``: an opencode database as a dataset (SQLite + manifest).

It reads an opencode database strictly read-only (it may be in use:
its pages are copied through a read-only connection, then the copy is read) into a dataset in
opencode's layout; ``--anonymise`` replaces every string and every key but the field names and
discriminator values of opencode's schema by a token of the same length, keeping numbers, key
sets, key orders and nesting, so shapes and sizes survive and content does not. Sessions without
messages are left out, and counted. A source that cannot be read, a row that cannot be imported
(named by its id in the source) or an output that cannot be written is one line, exit status 2,
and no dataset; SIGTERM or SIGHUP ends the import with status 143 or 129 and nothing left behind.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from harness.commands import options
from harness.store import OPENCODE_IMPORT


def _session_ids(text: str) -> list:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError(f"expected comma-separated session ids, got {text!r}")
    return ids


def add_parser(sources: argparse._SubParsersAction) -> None:
    opencode = sources.add_parser("opencode", help="an opencode database (opencode.db), read-only", description=__doc__)
    opencode.add_argument("path", type=Path, metavar="PATH", help="the opencode SQLite database")
    chosen = opencode.add_mutually_exclusive_group()
    chosen.add_argument(
        "--sessions", type=_session_ids, default=None, metavar="ID,…", help="only these comma-separated session ids"
    )
    chosen.add_argument(
        "--largest", type=options.positive, default=None, metavar="N", help="only the N sessions with the most rows"
    )
    opencode.add_argument(
        "--anonymise",
        action="store_true",
        help="replace every string and key but the schema's names by a same-length token",
    )
    opencode.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DATASET",
        help=options.dataset_out_help("opencode-import[-anon].sqlite"),
    )
    opencode.set_defaults(run=run_opencode)


def run_opencode(args: argparse.Namespace) -> int:
    from harness.ingest.opencode import import_opencode

    out = options.dataset_out(args.out, "opencode-import-anon.sqlite" if args.anonymise else "opencode-import.sqlite")
    started = time.perf_counter()
    manifest = import_opencode(args.path, out, args.sessions, args.largest, args.anonymise)
    origin = manifest["origin"]
    empty = origin["sessions_without_messages"] if origin["kind"] == OPENCODE_IMPORT else None
    print(
        f"{out}: {manifest['messages']} messages, {manifest['parts']} parts, "
        f"{len(manifest['session_ids'] or ())} session(s){', anonymised' if args.anonymise else ''}, "
        f"sha256 {manifest['sha256'][:16]}… ({time.perf_counter() - started:.1f} s)"
        + (f"; {empty} session(s) without messages left out" if empty else "")
    )
    return 0
