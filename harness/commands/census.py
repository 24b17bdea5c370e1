"""``harness census``: count the distinct object shapes of a dataset, per strategy.

Counts follow opencode's perf test (distinct sorted key sets; a None-valued key
counts); ordered key tuples and the key orders below the top level (nested schema
objects, data-keyed records) are reported beside them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Dict, Tuple

from harness import canonical
from harness.commands import options
from harness.measure.census import dataset_census
from harness.numbers import count, maybe
from harness.schemas.stored import is_opencode, schema_of
from harness.store import GENERATED, OPENCODE_IMPORT, ROWS, Origin, dataset_origin, describe, open_dataset
from harness.terminal import table, text

#: Manifest fields a census repeats (the reference generator's output fields among them; profile,
#: seed and rng_calls from its origin).
_MANIFEST_FIELDS = (
    "profile",
    "seed",
    "messages",
    "parts",
    "messages_by_role",
    "parts_by_type",
    "rng_calls",
    "sha256",
    "sha256_data",
    "hashed_lines",
    "hashed_bytes",
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("census", help="count object shapes per strategy", description=__doc__)
    options.add_generation(parser, messages_required=False)
    parser.add_argument("--dataset", type=Path, default=None, help="census of a stored dataset")
    parser.add_argument(
        "--schema",
        type=options.input_file,
        default=None,
        help="an edited schema file to build the strategies from (with --dataset)",
    )
    options.add_strategies(parser, default="spread,fixed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def census(args: argparse.Namespace) -> Tuple[Dict[str, Any], Origin]:
    """The census report (the ``--json`` object) and its dataset's origin."""
    schema = None
    if args.dataset is not None:
        options.refuse_generation_with(args, "--dataset")
        dataset = open_dataset(args.dataset)
        try:
            manifest, stored = dataset.manifest, list(dataset.stored_records())
        finally:
            dataset.close()
        schema = schema_of(manifest, args.schema, str(args.dataset))
    elif args.schema is not None:
        raise options.UsageError("--schema goes with --dataset")
    else:
        if args.messages is None:
            raise options.UsageError("give --messages N (or --dataset PATH)")
        generated = options.generate_from_args(args)
        stored = list(canonical.to_stored(generated.records))
        manifest = describe(generated)
    names = [strategy.name for strategy in options.chosen_strategies(args.strategies, schema=schema)]
    origin = manifest["origin"]
    found = {**manifest, **origin, "profile": dataset_origin(manifest)}
    report = {field: found.get(field) for field in _MANIFEST_FIELDS}
    report["avg_parts"] = origin["params"].get("avg_parts") if origin["kind"] == GENERATED else None
    report["total_parts"] = manifest["parts"]
    if schema is not None and not is_opencode(schema):
        report["schema"] = schema.name
    report.update(dataset_census(stored, names, schema))
    return report, origin


def source(origin: Origin) -> str:
    """What a dataset's rows are, from its manifest's origin: ``reference profile, seed 11``, ``an
    opencode import (the largest 3 sessions, anonymised)``, ``rows of orders.jsonl``."""
    if origin["kind"] == GENERATED:
        return f"{origin['profile']} profile, seed {origin['seed']}"
    if origin["kind"] == OPENCODE_IMPORT:
        return f"an opencode import ({origin['sessions']} sessions{', anonymised' if origin['anonymised'] else ''})"
    table = f", table {origin['table']}" if origin["table"] else ""
    return f"rows of {origin['file']}{table}"


#: The text table's columns: two-line header, the key of each strategy's census.
_COLUMNS = {
    "info\nsets": "info_key_sets",
    "info\norders": "info_key_orders",
    "part\nsets": "part_key_sets",
    "part\norders": "part_key_orders",
    "nested\norders": "nested_key_orders",
    "records\norders": "record_key_orders",
}
_NOTE = (
    "Distinct shapes of each strategy's objects: sets of keys (as opencode's perf test counts them) and orders "
    "of keys, of the infos, the parts, the schema's objects nested in them and the data-keyed records (keys that "
    "are data)."
)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    report, origin = census(args)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    shown = source(origin) + (f", schema {report['schema']}" if "schema" in report else "")
    size = f"{report['messages']:,} rows" if origin["kind"] == ROWS else f"{report['messages']:,} messages"
    if report["parts"] or origin["kind"] != ROWS:
        size += f", {report['parts']:,} parts"
    columns = {header: key for header, key in _COLUMNS.items() if report["parts"] or not key.startswith("part_")}
    found = table()
    found.add_column("strategy", min_width=8, overflow="fold")
    for header in columns:
        found.add_column(header, justify="right", no_wrap=True)
    for name, counts in report["strategies"].items():
        found.add_row(text(name), *(text(maybe(count, counts[key])) for key in columns.values()))
    console = Console()
    console.print(text(f"{shown}: {size}"))
    console.print(found)
    console.print(text(_NOTE))
    return 0
