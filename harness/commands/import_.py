"""``harness import``: bring outside data into a harness dataset, one subcommand per source.

``harness import rows (--jsonl FILE | --sqlite DB --table T --data-column C [--id-column I]
[--group-column G] [--order-column O]) [--out DATASET]`` stores an application's own JSON rows and
infers their schema in the same pass (``harness.ingest.rows``); the schema is written beside the dataset
(``<dataset>.schema.json``) for editing and used with ``--schema FILE``.

``harness import opencode PATH [--sessions ID,…|--largest N] [--anonymise] [--out DATASET]`` reads
an opencode database strictly read-only into a dataset in opencode's layout and schema
(``harness.ingest``), anonymised on request.
"""

from __future__ import annotations

import argparse
import importlib

#: Import sources: each is a module ``harness.commands.import_<source>`` with ``add_parser``.
SOURCES = ("rows", "opencode")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import", help="import outside data as a dataset", description=__doc__)
    sources = parser.add_subparsers(dest="source", required=True, metavar="SOURCE", parser_class=type(parser))
    for source in SOURCES:
        importlib.import_module(f"harness.commands.import_{source}").add_parser(sources)
