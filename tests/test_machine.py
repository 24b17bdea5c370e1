"""The machine's state per job: what the runner records, when a run was busy, when two runs differ."""

import subprocess
import sys

import pytest

from harness.runs import machine


def test_a_run_is_busy_when_its_jobs_ran_beside_other_work():
    assert machine.busy([0.05, 0.2, 0.1], cores=2) is None
    warning = machine.busy([1.1, 1.0, 1.3, None, float("nan")], cores=2)
    assert warning == (
        "the machine was busy during this run: the median job had other work on 1.10 of 2 cores beside it"
    )
    assert machine.busy([1.1], cores=16) is None  # one busy core is not a busy machine of 16
    assert machine.busy([], cores=2) is None


def test_two_sets_of_jobs_differ_only_when_their_other_work_is_clearly_apart():
    assert machine.differed([0.0, 0.1, 0.05], [1.0, 1.1, 0.9], cores=2) == "other work on 0.1 vs 1.0 cores"
    assert machine.differed([0.0, 0.1], [0.3, 0.4], cores=2) is None
    assert machine.differed([1.0], [None], cores=2) is None  # a side without a record is not "different"
    assert machine.busy_margin(2) == 0.5 and machine.busy_margin(16) == 4.0


@pytest.mark.serial  # it measures the other work beside a job: the suite's own included
def test_the_watch_counts_the_jobs_cpu_time_and_the_other_work_beside_it(tmp_path):
    burn = "import time\nwhile time.process_time() < 0.3:\n    pass\n"
    with machine.Watch() as busy:
        subprocess.run([sys.executable, "-c", burn], check=True)
    with machine.Watch() as idle:
        subprocess.run([sys.executable, "-c", "import time; time.sleep(0.3)"], check=True)
    assert busy.state["cpu_s"] >= 0.3 and busy.state["cpu_share"] == busy.state["cpu_s"] / busy.state["wall_s"]
    assert idle.state["wall_s"] >= 0.3 and idle.state["cpu_s"] < idle.state["wall_s"]
    assert set(busy.state) == {"load_start", "load_end", "wall_s", "cpu_s", "cpu_share", "other_cores"}
    hog = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"])  # other work beside the job
    try:
        with machine.Watch() as beside:
            subprocess.run([sys.executable, "-c", "import time; time.sleep(0.5)"], check=True)
    finally:
        hog.kill()
        hog.wait()
    # the busy loop counts as other work (a core at most: one loop), the job's own CPU time does not
    assert idle.state["other_cores"] < beside.state["other_cores"] <= 1.0 + idle.state["other_cores"] + 0.1
    machine.record(tmp_path, "a", busy.state)
    machine.record(tmp_path, "b", idle.state)
    machine.record(tmp_path, "a", idle.state)  # a job run again replaces its record
    assert machine.states(tmp_path)["jobs"] == {"a": idle.state, "b": idle.state}
    (tmp_path / machine.STATE_FILE).write_text("{not json")
    assert machine.states(tmp_path)["jobs"] == {}
