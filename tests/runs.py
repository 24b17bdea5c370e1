"""Helpers for tests that drive real runs: the CLI in a fresh process, copies of a run, its jobs."""

import shutil
import subprocess
import sys
from pathlib import Path

from harness.progress import RunProgress
from harness.runs import results


def harness(cwd, *argv, **kwargs):
    """``harness ARGV`` in a fresh process in ``cwd``; stdout and stderr as text."""
    return subprocess.run(
        [sys.executable, "-m", "harness", *map(str, argv)], cwd=cwd, capture_output=True, text=True, **kwargs
    )


def bench(cwd, *argv, **kwargs):
    """A smoke-plan bench into ``cwd/results`` without the report."""
    return harness(cwd, "bench", "--plan", "smoke", "--no-report", "--out", "results", *argv, **kwargs)


def latest(results_root, plan="smoke"):
    """The run the one ``latest-<plan>-<tags>`` link of a results root points at."""
    links = sorted(Path(results_root).glob(f"latest-{plan}-*"))
    assert len(links) == 1, links
    return links[0].resolve()


def links(results_root):
    """The names of the ``latest`` links in a results root."""
    return sorted(path.name for path in Path(results_root).glob("latest*"))


def resume(cwd, run_dir):
    return harness(cwd, "bench", "--no-report", "--resume", run_dir)


def copy_run(run_dir, tmp_path):
    """A copy of a run directory under ``tmp_path/results``."""
    target = Path(tmp_path) / "results" / Path(run_dir).name
    shutil.copytree(run_dir, target, symlinks=True)
    return target


def job_named(run_dir, measurer, strategy, workload=None):
    """The id of the run's first planned job of that measurer and strategy (and workload)."""
    for job in results.load_manifest(run_dir)["jobs"]:
        if (job["measurer"], job["strategy"]) == (measurer, strategy) and workload in (None, job["workload"]):
            return job["id"]
    raise LookupError(f"no {measurer} job of {strategy} in {run_dir}")


def one_line_error(done, code=2):
    """The single stderr line of a command that failed with ``code``."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code and len(lines) == 1, (done.returncode, done.stderr)
    return lines[0]


#: A script that holds ``flock`` on the file named by its argument for a minute, as a runner does.
HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, str(os.getpid()).encode())
print("locked", flush=True)
time.sleep(60)
"""


class InterruptAfter(RunProgress):
    """Run progress that presses Ctrl-C once ``jobs`` jobs are done."""

    def __init__(self, jobs):
        super().__init__()
        self.live, self.left = False, jobs

    def done(self, status):
        super().done(status)
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt
