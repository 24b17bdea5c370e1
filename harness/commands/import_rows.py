"""``harness import rows``: an application's own JSON rows (JSON Lines or an SQLite table) as a dataset.

The rows are stored as messages without parts (``harness.ingest.rows`` says how), their schema is inferred in
the same pass (``harness.schemas.infer``: discriminator, kinds, fields, records) and written beside the
dataset as ``<dataset>.schema.json``. census, hydrate_all, gcprobe, memory and access work on the
dataset; the read-path workloads (page, filter_compacted, run_loop) are opencode's and refuse it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from harness.commands import options
from harness.ingest.rows import SqliteSource, import_rows, jsonl_rows, rows_origin, sqlite_rows
from harness.schemas.stored import schema_path
from harness.store import check_target


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rows", help="import JSON rows (JSON Lines or an SQLite table)", description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--jsonl", type=Path, metavar="FILE", help="a JSON Lines file, one JSON object per line")
    source.add_argument("--sqlite", type=Path, metavar="DB", help="an SQLite database (opened read-only)")
    parser.add_argument("--table", metavar="T", help="the table holding the rows (with --sqlite)")
    parser.add_argument("--data-column", metavar="C", help="the column holding each row's JSON object (with --sqlite)")
    parser.add_argument("--id-column", metavar="I", help="a column of unique row ids (default: the row number)")
    parser.add_argument(
        "--group-column", metavar="G", help="a column grouping rows into sessions (default: one session)"
    )
    parser.add_argument("--order-column", metavar="O", help="a column to order the rows by (default: rowid)")
    parser.add_argument(
        "--out", type=Path, default=None, metavar="DATASET", help=options.dataset_out_help("<name>.sqlite")
    )
    parser.set_defaults(run=run)


def _source(args: argparse.Namespace):
    columns = {"--table": args.table, "--data-column": args.data_column, "--id-column": args.id_column}
    columns.update({"--group-column": args.group_column, "--order-column": args.order_column})
    if args.jsonl is not None:
        given = [flag for flag, value in columns.items() if value is not None]
        if given:
            raise options.UsageError(f"{', '.join(given)} belong to --sqlite; a JSONL row is the whole line")
        return jsonl_rows(args.jsonl), rows_origin(args.jsonl), str(args.jsonl), args.jsonl.stem
    missing = [flag for flag in ("--table", "--data-column") if columns[flag] is None]
    if missing:
        raise options.UsageError(f"--sqlite needs {' and '.join(missing)}")
    source = SqliteSource(
        args.sqlite, args.table, args.data_column, args.id_column, args.group_column, args.order_column
    )
    return sqlite_rows(source), rows_origin(args.sqlite, source), f"{args.sqlite} table {args.table!r}", args.table


def run(args: argparse.Namespace) -> int:
    rows, origin, source_name, stem = _source(args)
    out = options.dataset_out(args.out, f"{stem}.sqlite")
    check_target(out, source=args.jsonl or args.sqlite)
    name = out.name[: -len(".sqlite")] if out.name.endswith(".sqlite") else out.stem
    started = time.perf_counter()
    manifest, schema = import_rows(rows, out, name or "rows", origin, source_name)
    table = schema.tables["message"]
    split = f"on {table.discriminator!r} into {len(table.kinds)} kinds" if table.discriminator else "one kind"
    print(
        f"imported {manifest['messages']} rows from {source_name} into {out} "
        f"in {time.perf_counter() - started:.1f} s; schema ({split}): {schema_path(out)}",
        file=sys.stderr,
    )
    print(out)
    return 0
