"""``harness advise DATASET``: measure your data, then say in plain words what to do about it.

A short plan built for the dataset (``harness.analysis.advice``: census, hydration timing, GC probe with its
GC-off control, memory; spread against fixed, slots, msgspec with gc=False and the lazy variants,
those available here) runs like a bench run — one fresh process per job, progress, a run directory
with integrity checks, a report — and ends with the answer on stdout: the shapes the data makes,
what the spread style costs in GC and memory, the strategy that removes most of it on this
interpreter with its figures, the code to adopt it (msgspec Structs and ``__slots__`` classes
generated for the dataset's schema, or the edited one ``--schema FILE`` gives, which the jobs build
their strategies from too; ``--code FILE`` writes the code there instead: a new file, or with
``--force`` one that exists, never the dataset or schema it reads), and the report's path.
Ctrl-C (or SIGTERM, SIGHUP) leaves the run interrupted; ``--resume RUN_DIR`` finishes it as planned
and answers. Exit status 0 when every job verified, 1 when some failed (the answer names them), 2
for a dataset or schema file that cannot be read, 128 + the signal's number when interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from harness import atomic
from harness.analysis.report import build_report
from harness.commands import options
from harness.runs import lifecycle
from harness.runs.lifecycle import DEFAULT_ROOT, Run
from harness.store import DatasetError, manifest_path, open_dataset


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "advise", help="measure a dataset and answer: which strategy, with what code", description=__doc__
    )
    parser.add_argument("dataset", type=Path, nargs="?", metavar="DATASET", help="a dataset (generated or imported)")
    parser.add_argument(
        "--code", type=Path, default=None, metavar="FILE", help="write the code to adopt into FILE (a new file)"
    )
    parser.add_argument("--force", action="store_true", help="let --code replace a file that exists")
    parser.add_argument(
        "--schema",
        type=options.input_file,
        default=None,
        metavar="FILE",
        help="an edited schema file to build the strategies from",
    )
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help=f"results root (default: {DEFAULT_ROOT})")
    parser.add_argument(
        "--resume", type=Path, default=None, metavar="RUN_DIR", help="finish an interrupted advise run, then answer"
    )
    parser.add_argument("--no-report", action="store_true", help="skip the HTML report")
    parser.set_defaults(run=run)


def _is_dataset(path: Path) -> bool:
    try:
        open_dataset(path, verify=False).close()
    except DatasetError:
        return False
    return True


def _check_code(args: argparse.Namespace, inputs: List[Path]) -> None:
    """UsageError unless the code may be written at ``--code``: a file in an existing directory that
    is no dataset and none of the files the run reads (``inputs``), and a new one unless ``--force``."""
    code = args.code
    if code is None:
        return
    if code.is_dir() or not code.parent.is_dir():
        raise options.UsageError(f"--code {code}: not a file in an existing directory")
    if not os.access(code.parent, os.W_OK):  # known now, not after the whole run
        raise options.UsageError(f"--code {code}: its directory cannot be written")
    if code.exists() and (any(path.exists() and code.samefile(path) for path in inputs) or _is_dataset(code)):
        raise options.UsageError(f"--code {code} is a dataset or a file advise reads; name a new file for the code")
    if (code.exists() or code.is_symlink()) and not args.force:
        raise options.UsageError(f"--code {code} exists; name a new file, or give --force to replace it")


def _inputs(manifest: Dict[str, Any]) -> Tuple[Path, Optional[Path]]:
    """The dataset an advise run measures and the edited schema file its jobs build from (or None)."""
    (entry,) = manifest["datasets"].values()
    schema = next((job.get("schema") for job in manifest["jobs"] if job.get("schema")), None)
    return Path(entry["path"]), Path(schema) if schema else None


def _read_files(manifest: Dict[str, Any]) -> List[Path]:
    """Every file an advise run reads: its dataset, the dataset's manifest copy, the edited schema."""
    dataset, schema = _inputs(manifest)
    return [dataset, manifest_path(dataset), *([schema] if schema else [])]


def _start(args: argparse.Namespace) -> Run:
    """A new run of the advise plan for the dataset (verified first) on the running Python."""
    from harness.analysis.advice import DATASET_KEY, advice_plan
    from harness.runtime.python import current
    from harness.schemas.stored import schema_of

    _check_code(args, [args.dataset, manifest_path(args.dataset), *([args.schema] if args.schema else [])])
    dataset = open_dataset(args.dataset)  # every row checked against the manifest
    dataset.close()
    manifest = dataset.manifest
    if not manifest.get("messages"):
        raise options.UsageError(f"{args.dataset} holds no message to measure")
    schema_of(manifest, args.schema, str(args.dataset))  # an edited schema that is nonsense stops here
    chosen = advice_plan(manifest["messages"])
    datasets = {DATASET_KEY: lifecycle.dataset_entry(args.dataset, manifest)}
    schema = str(args.schema.resolve()) if args.schema is not None else None
    return lifecycle.begin("advise", chosen, [current()], datasets, args.out or DEFAULT_ROOT, schema=schema)


def _resume(args: argparse.Namespace) -> Run:
    """The advise run to finish (--resume takes the dataset, the schema and the results root from it)."""
    given = [flag for flag, value in (("--schema", args.schema), ("--out", args.out)) if value is not None]
    resumed = lifecycle.resume("advise", args.resume, given)
    _check_code(args, _read_files(resumed.manifest))
    return resumed


def run(args: argparse.Namespace) -> int:
    if (args.resume is None) == (args.dataset is None):
        raise options.UsageError("give a DATASET to advise on, or --resume RUN_DIR (one of them)")
    return lifecycle.conduct(
        "advise",
        lambda: _start(args) if args.resume is None else _resume(args),
        lambda run: _answer(args, run),
        None if args.no_report else build_report,
    )


def _answer(args: argparse.Namespace, run: Run) -> None:
    """The answer, made of the run's figures, and the code to adopt it (on stdout, or in ``--code``)."""
    from harness.analysis.advice import Figures, answer, choice, code_for

    dataset, schema = _inputs(run.manifest)
    measured = open_dataset(dataset, verify=False)  # verified at the end of the run
    measured.close()
    code = code_for(measured.manifest, choice(Figures(run.directory)).strategy, schema)
    if args.code is not None:
        atomic.write_text(args.code, code)
        code = f"The code to adopt it is in {args.code}."
    print(answer(run.directory, run.manifest, code), end="")
    print(f"({run.seconds:.0f} s)", file=sys.stderr)
