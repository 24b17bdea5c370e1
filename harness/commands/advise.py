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
import dataclasses
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from harness import atomic, results
from harness.commands import options
from harness.progress import RunProgress
from harness.store import DatasetError, dataset_origin, manifest_path, open_dataset

DEFAULT_ROOT = Path("results")


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


def _check_usage(args: argparse.Namespace) -> None:
    """UsageError unless one of DATASET and --resume is given (--resume takes the dataset, the
    schema and the results root from the run)."""
    if (args.resume is None) == (args.dataset is None):
        raise options.UsageError("give a DATASET to advise on, or --resume RUN_DIR (one of them)")
    given = [flag for flag, value in (("--schema", args.schema), ("--out", args.out)) if value is not None]
    if args.resume is not None and given:
        raise options.UsageError(
            f"--resume finishes a run as it was planned; it takes no {', '.join(given)} (start a new run instead)"
        )


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


def _start(args: argparse.Namespace) -> Tuple[Path, Dict[str, Any]]:
    """The run directory and manifest of the advise plan for the dataset (verified first)."""
    from harness.analysis.advice import DATASET_KEY, advice_plan
    from harness.commands import bench
    from harness.interpreters import resolve
    from harness.runner import plan
    from harness.schemas.stored import schema_of

    dataset = open_dataset(args.dataset)  # every row checked against the manifest
    dataset.close()
    manifest = dataset.manifest
    if not manifest.get("messages"):
        raise options.UsageError(f"{args.dataset} holds no message to measure")
    schema_of(manifest, args.schema, str(args.dataset))  # an edited schema that is nonsense stops here
    chosen = advice_plan(manifest["messages"])
    interpreters = resolve(None)
    seed = secrets.randbelow(2**32)
    jobs, notes = plan(chosen, interpreters, {DATASET_KEY: args.dataset.resolve()}, seed=seed)
    if args.schema is not None:
        jobs = [dataclasses.replace(job, schema=str(args.schema.resolve())) for job in jobs]
    root = args.out or DEFAULT_ROOT
    results.prepare_root(root)
    entry = {
        "path": str(args.dataset.resolve()),
        "sha256": manifest["sha256"],
        "origin": dataset_origin(manifest),
        "spec": None,
        "messages": manifest["messages"],
        "parts": manifest["parts"],
    }
    run_manifest = bench.run_manifest(
        chosen.name, chosen.timeout, {DATASET_KEY: entry}, interpreters, notes, jobs, seed, "advise"
    )
    return results.new_run_dir(root), run_manifest


def _report(run_dir: Path) -> Optional[str]:
    """Build the report; its path, or None with the reason on stderr."""
    try:
        from harness.analysis.report import build_report

        return str(build_report(run_dir))
    except ImportError as error:
        print(f"note: no report: the notebooks extra is missing ({error.name})", file=sys.stderr)
    except Exception as error:  # the run and the answer stand without it
        print(f"note: no report: {type(error).__name__}: {error}", file=sys.stderr)
    return None


def run(args: argparse.Namespace) -> int:
    from harness.runner import stop_signals

    _check_usage(args)
    with stop_signals():
        return _advise(args)


def _advise(args: argparse.Namespace) -> int:
    from harness.analysis.advice import Figures, answer, choice, code_for
    from harness.results import RunError
    from harness.runner import drive, exit_status, resumable

    began = time.monotonic()
    try:
        if args.resume is not None:
            run_dir, manifest = args.resume, resumable(args.resume, "advise")
            _check_code(args, _read_files(manifest))
        else:
            _check_code(args, [args.dataset, manifest_path(args.dataset), *([args.schema] if args.schema else [])])
            run_dir, manifest = _start(args)
    except RunError as error:
        raise options.UsageError(str(error)) from None
    for note in manifest["notes"]:
        print(f"note: {note}", file=sys.stderr)
    try:
        counts, manifest = drive(run_dir, None if args.resume else manifest, None, RunProgress())
    except KeyboardInterrupt as interrupt:
        print(f"interrupted: resume with  harness advise --resume {run_dir}", file=sys.stderr)
        return exit_status(interrupt)
    except (RunError, DatasetError) as error:
        raise options.UsageError(str(error)) from None
    complete = counts["status"] in ("complete", "nothing to do")
    if complete:
        results.point_latest(Path(run_dir).parent, run_dir)
    report = None if args.no_report else _report(run_dir)
    dataset, schema = _inputs(manifest)
    measured = open_dataset(dataset, verify=False)  # verified at the end of the run
    measured.close()
    code = code_for(measured.manifest, choice(Figures(run_dir)).strategy, schema)
    if args.code is not None:
        atomic.write_text(args.code, code)
        code = f"The code to adopt it is in {args.code}."
    print(answer(run_dir, manifest, code), end="")
    print(f"report: {report}" if report else f"run: {run_dir}")
    print(f"({time.monotonic() - began:.0f} s)", file=sys.stderr)
    if not complete:
        print(
            f"harness advise: {counts['failed']} job(s) failed (their records in {run_dir}/jobs say why)",
            file=sys.stderr,
        )
        return 1
    return 0
