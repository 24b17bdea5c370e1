"""``harness census``: count the distinct object shapes of a dataset, per strategy.

Counts follow opencode's perf test (distinct sorted key sets; a None-valued key
counts); ordered key tuples and the key orders below the top level (nested schema
objects, data-keyed records) are reported beside them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Dict

from harness import canonical
from harness.commands import options
from harness.measure.census import dataset_census
from harness.schemas.stored import is_opencode, schema_of
from harness.store import GENERATED, dataset_origin, describe, open_dataset
from harness.terminal import visible

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


def census(args: argparse.Namespace) -> Dict[str, Any]:
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
    return report


def run(args: argparse.Namespace) -> int:
    report = census(args)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    source = f"schema {report['schema']}" if "schema" in report else f"{report['profile']} seed {report['seed']}"
    print(f"{visible(source)}: {report['messages']} messages, {report['parts']} parts")
    print(f"{'shapes':<22}{'spread':>10}{'fixed':>10}")
    for label, key in (
        ("info key sets", "info_shapes"),
        ("info key orders", "info_orders"),
        ("part key sets", "part_shapes"),
        ("part key orders", "part_orders"),
    ):
        print(f"{label:<22}{report[key + '_spread']:>10}{report[key + '_fixed']:>10}")
    print(f"{'nested schema objects':<22}{report['nested_shapes']:>10}  (key orders, as stored)")
    print(f"{'data-keyed records':<22}{report['record_shapes']:>10}  (key orders, as stored)")
    return 0
