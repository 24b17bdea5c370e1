"""No process outlives its job: scalene's launcher and the target it re-executes itself to run die
when the job's parent (the runner) dies, by SIGKILL or SIGTERM, as the job does."""

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_interrupts import processes_mentioning, wait_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

#: The runner's part: name itself as the parent its jobs die with, start one job, wait for it.
PARENT = """
import subprocess, sys
from harness.measure.lifeline import adopt_children
adopt_children()
subprocess.run([sys.executable, "-m", "harness.measure.scalene", "--job", sys.argv[1], "--out", sys.argv[2]])
"""


def holding(pids, path):
    """The pids among ``pids`` that have ``path`` open."""
    found = []
    for pid in pids:
        try:
            links = [os.readlink(entry) for entry in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        if str(path) in links:
            found.append(pid)
    return found


@pytest.mark.requires("scalene")
@pytest.mark.parametrize("sent", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_dead_parent_leaves_no_scalene_launcher_or_target(tmp_path, dataset, sent):
    job = tmp_path / "job.json"
    params = {"rounds": 1, "min_seconds": 600}  # the target keeps calling the workload until killed
    fields = {"id": "j", "measurer": "scalene", "strategy": "fixed", "workload": "hydrate_all", "size": 100}
    job.write_text(json.dumps({**fields, "dataset": str(dataset), "params": params}))
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(job), str(tmp_path / "out.json")])

    def descendants():
        return [pid for pid in processes_mentioning(str(job)) if pid != parent.pid]

    try:
        # the job, scalene's launcher and the target it runs all name the job file; the target has
        # the dataset open once its lifeline is set (before it reads the job)
        assert wait_for(lambda: len(descendants()) == 3 and holding(descendants(), dataset)), descendants()
        parent.send_signal(sent)
        parent.wait()
        assert wait_for(lambda: not descendants(), 30), descendants()
    finally:
        for pid in [parent.pid, *descendants()]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        parent.wait()
