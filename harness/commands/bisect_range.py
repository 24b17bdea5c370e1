"""``harness bisect-range A B``: bench every commit from A to B with that commit's own code.

For each commit of ``git rev-list --reverse --first-parent A^..B`` (A and B included), a throwaway
worktree is checked out (``git worktree add --detach``) and ``harness bench --plan P --no-report
--out ROOT`` runs in it on this environment's interpreter, with the worktree first on the import
path (``PYTHONPATH``, and the worktree as working directory: ``python -m harness`` imports the
commit's ``harness``, never this checkout's editable install). Before the bench, the interpreter
is asked where it imports ``harness`` from (it must be the worktree); after it, the new run's
manifest must record that commit (``git.commit``). The worktree is removed however the bench ends,
Ctrl-C and SIGTERM included. A commit whose bench fails (failed jobs, a harness too old for these
options, another interpreter's code) is reported and the next commit runs. A line per commit says
how its bench ended and where its run is; then ``harness history`` shows the figures over the range.

Every commit generates its plan's datasets in its own worktree (a generator may differ between
commits), so each commit takes its plan's time plus the generation. The reports are not built
(``harness report RUN`` builds one). A or B not a commit of the repository the command runs in, or
A not an ancestor of B, is one line and exit status 2. The exit status is 0 when every commit's run
is complete, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Set

from harness.commands import options
from harness.runs import files, results
from harness.runs.plans import PLANS
from harness.runs.runner import signals_held_off, stop_signals
from harness.terminal import visible

DEFAULT_ROOT = Path("results")
#: How long a bench may take to record its interruption once it was passed the signal, in seconds.
GRACE = 60


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bisect-range", help="bench every commit from A to B with its own code", description=__doc__
    )
    parser.add_argument("first", metavar="A", help="the first commit (an ancestor of B)")
    parser.add_argument("last", metavar="B", help="the last commit")
    parser.add_argument(
        "--plan", choices=sorted(PLANS), default="quick", help="the plan each commit runs (default: quick)"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_ROOT, metavar="DIR", help=f"results root (default: {DEFAULT_ROOT})"
    )
    parser.set_defaults(run=run)


@dataclass(frozen=True)
class Outcome:
    """How one commit's bench ended: ``complete``, ``failed`` (exit status, or why) and its run."""

    status: str
    run_dir: Optional[Path] = None
    why: str = ""


def run(args: argparse.Namespace) -> int:
    repository = _toplevel()
    first, last = _commit(repository, args.first, "A"), _commit(repository, args.last, "B")
    if _git(repository, "merge-base", "--is-ancestor", first, last).returncode != 0:
        raise options.UsageError(f"A ({visible(args.first)}) is not an ancestor of B ({visible(args.last)})")
    commits = commit_range(repository, first, last)
    root = args.out.resolve()
    results.prepare_root(root)  # RunError: one line, exit status 2
    outcomes = []
    with stop_signals():  # SIGTERM and SIGHUP end the bench and remove its worktree as Ctrl-C does
        for index, commit in enumerate(commits, 1):
            subject = _git(repository, "show", "-s", "--format=%h %s", commit).stdout.strip()
            print(f"[{index}/{len(commits)}] {visible(subject)}", flush=True)
            outcome = bench_commit(repository, commit, args.plan, root)
            outcomes.append(outcome)
            where = visible(outcome.run_dir) if outcome.run_dir else "no run"
            print(
                f"[{index}/{len(commits)}] {commit[:10]} {outcome.status}: {where}"
                + (f" ({outcome.why})" if outcome.why else ""),
                flush=True,
            )
    complete = sum(outcome.status == "complete" for outcome in outcomes)
    roots = "" if args.out == DEFAULT_ROOT else f" --root {visible(root)}"
    print(f"{complete} of {len(commits)} commits measured; their figures over the range:  harness history{roots}")
    return 0 if complete == len(commits) else 1


def _git(repository: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *argv], cwd=repository, capture_output=True, text=True)


def _toplevel() -> Path:
    """The repository the command runs in; UsageError outside one."""
    done = _git(Path.cwd(), "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise options.UsageError("not in a git repository: run harness bisect-range in the project's checkout")
    return Path(done.stdout.strip())


def _commit(repository: Path, name: str, which: str) -> str:
    """The full hash of commit ``name``; UsageError when it names none."""
    done = _git(repository, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}")
    if done.returncode != 0 or not done.stdout.strip():
        raise options.UsageError(f"{which} ({visible(name)}) is not a commit of this repository")
    return done.stdout.strip()


def commit_range(repository: Path, first: str, last: str) -> List[str]:
    """The commits from ``first`` to ``last``, both included, oldest first, along first parents."""
    has_parent = _git(repository, "rev-parse", "--verify", "--quiet", f"{first}^").returncode == 0
    span = [f"{first}^..{last}"] if has_parent else [last]
    listed = _git(repository, "rev-list", "--reverse", "--first-parent", *span).stdout.split()
    return listed[listed.index(first) :] if first in listed else listed


def bench_commit(repository: Path, commit: str, plan: str, root: Path) -> Outcome:
    """Bench ``commit``'s code in a throwaway worktree into ``root``; the worktree is removed
    whatever happens."""
    try:
        with tempfile.TemporaryDirectory(prefix="harness-bisect-") as scratch:
            worktree = Path(scratch) / "tree"
            added = _git(repository, "worktree", "add", "--detach", "--quiet", str(worktree), commit)
            if added.returncode != 0:
                return Outcome("failed", why=f"git worktree add: {_last_line(added.stderr)}")
            try:
                return _bench_in(worktree, commit, plan, root)
            finally:
                with signals_held_off():
                    _git(repository, "worktree", "remove", "--force", str(worktree))
    finally:
        _git(repository, "worktree", "prune")  # whatever a failed remove left registered


def _bench_in(worktree: Path, commit: str, plan: str, root: Path) -> Outcome:
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, (str(worktree), os.environ.get("PYTHONPATH")))),
    }
    imported = subprocess.run(
        [sys.executable, "-c", "import harness; print(harness.__file__)"],
        cwd=worktree,
        env=environment,
        capture_output=True,
        text=True,
    )
    location = Path(imported.stdout.strip() or ".").resolve()
    if imported.returncode != 0 or worktree.resolve() not in location.parents:
        return Outcome(
            "failed", why=f"harness is not imported from the worktree ({_last_line(imported.stderr) or location})"
        )
    before = _runs(root)
    command = [sys.executable, "-m", "harness", "bench", "--plan", plan, "--no-report", "--out", str(root)]
    status = _wait(subprocess.Popen(command, cwd=worktree, env=environment))
    made = [path for path in sorted(_runs(root) - before) if _recorded_commit(path) == commit]
    run_dir = made[-1] if made else None
    if status == 0 and run_dir is None:
        return Outcome("failed", why=f"no run of {commit[:10]} was made (a run recording another commit: not its code)")
    return Outcome(
        "complete" if status == 0 else "failed", run_dir, "" if status == 0 else f"harness bench exit status {status}"
    )


def _wait(process: subprocess.Popen) -> int:
    """The bench's exit status; on Ctrl-C or SIGTERM, the bench is passed the signal (a terminal's
    Ctrl-C reaches it already) and given ``GRACE`` seconds to record its interruption before it is
    killed, then the interruption goes on."""
    try:
        return process.wait()
    except KeyboardInterrupt as interrupt:
        with signals_held_off():
            process.send_signal(getattr(interrupt, "signum", signal.SIGINT))
            try:
                process.wait(GRACE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        raise


def _runs(root: Path) -> Set[Path]:
    return {path for path in root.iterdir() if path.is_dir() and not path.is_symlink()}


def _recorded_commit(run_dir: Path) -> Optional[str]:
    manifest = files.read_json(run_dir / "manifest.json")
    git = manifest.get("git") if isinstance(manifest, dict) else None
    return git.get("commit") if isinstance(git, dict) else None


def _last_line(text: str) -> str:
    lines: Sequence[str] = text.strip().splitlines()
    return visible(lines[-1]) if lines else ""
