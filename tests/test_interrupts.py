"""Interrupts, locks and processes: Ctrl-C as a terminal sends it (SIGINT to the foreground process
group), SIGTERM and SIGHUP, two runners at once on one run, a runner killed with SIGKILL, errors on
the way in."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runs import copy_run, harness, links, one_line_error, resume

from harness.runs import files, results, runner
from harness.runs.lock import Lock

HARNESS = [sys.executable, "-m", "harness"]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def bench_cwd(smoke_run, tmp_path):
    """A fresh directory whose datasets/ is the smoke run's (already generated)."""
    cwd = tmp_path / "work"
    cwd.mkdir()
    (cwd / "datasets").symlink_to(smoke_run[0] / "datasets")
    return cwd


def interrupt_after(argv, cwd, marker, count, delay, send=lambda pid: os.killpg(pid, signal.SIGINT)):
    """Run ``argv`` in a process group of its own (as a terminal's foreground job), ``send`` it a
    signal (SIGINT to the group) ``delay`` s after the ``count``-th stderr line containing
    ``marker``; (exit status, stderr)."""
    with subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as process:
        seen, lines = 0, []
        for line in process.stderr:
            lines.append(line)
            seen += marker in line
            if seen == count:
                time.sleep(delay)
                send(process.pid)
                break
        lines += process.stderr.readlines()
        process.stdout.read()
        process.wait()
    return process.returncode, "".join(lines)


def latest_run(cwd):
    return max((Path(cwd) / "results").glob("2*"), key=lambda path: path.stat().st_mtime_ns)


def test_ctrl_c_as_a_job_ends_is_still_an_interrupt(tmp_path):
    """SIGINT lands while the job is finishing: ``communicate`` waits for it (0.25 s), reaps it,
    and the job's process group is gone before the runner kills it."""
    import threading

    from test_runner import fake_python, one_job

    run_dir, job = one_job(tmp_path)
    timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            runner.run_job(job, fake_python(tmp_path, "sleep 0.15"), run_dir, timeout=10)
    finally:
        timer.join()


#: When Ctrl-C comes, (jobs done, seconds after): while a job runs, and just as one has ended; the
#: other moments land while a job runs too, the first one's path again (``slow``).
CTRL_C_MOMENTS = [
    (1, 0.15),
    (8, 0.0),
    *(pytest.param(*moment, marks=pytest.mark.slow) for moment in [(1, 0.35), (2, 0.5), (9, 0.25)]),
]


@pytest.mark.parametrize(("after", "delay"), CTRL_C_MOMENTS)
def test_ctrl_c_during_a_bench_always_leaves_it_interrupted(smoke_run, tmp_path, after, delay):
    cwd = bench_cwd(smoke_run, tmp_path)
    argv = [*HARNESS, "bench", "--plan", "smoke", "--no-report", "--out", "results"]
    code, stderr = interrupt_after(argv, cwd, "] ok", after, delay)
    assert code == 130, stderr
    assert "Traceback" not in stderr and "interrupted: resume with" in stderr
    run = latest_run(cwd)
    manifest = results.load_manifest(run)
    assert manifest["status"] == "interrupted" and manifest["finished"]
    assert not links(cwd / "results")
    assert not (run / ".lock").exists()
    if delay == 0.15:
        done = resume(cwd, run)
        assert done.returncode == 0, done.stderr
        assert results.load_manifest(run)["status"] == "complete"


@pytest.mark.parametrize(
    ("signum", "code", "send"),
    [
        (signal.SIGTERM, 143, os.kill),  # a service manager stops the runner
        (signal.SIGHUP, 129, os.killpg),  # the terminal closed: its foreground process group
    ],
)
def test_sigterm_or_sighup_during_a_bench_leaves_it_interrupted(smoke_run, tmp_path, signum, code, send):
    cwd = bench_cwd(smoke_run, tmp_path)
    argv = [*HARNESS, "bench", "--plan", "smoke", "--no-report", "--out", "results"]
    status, stderr = interrupt_after(argv, cwd, "] ok", 2, 0.2, lambda pid: send(pid, signum))
    assert status == code, stderr
    assert "Traceback" not in stderr and "interrupted: resume with" in stderr
    run = latest_run(cwd)
    recorded = json.loads((run / "manifest.json").read_text())
    assert recorded["status"] == "interrupted" and recorded["error"] == f"stopped by {signal.Signals(signum).name}"
    assert not (run / ".lock").exists() and not (cwd / "results" / "latest").exists()
    if sys.platform.startswith("linux"):  # the job that was running went with its process group
        assert wait_for(lambda: not processes_mentioning(str(run / "jobs")), 30)
    if signum == signal.SIGTERM:
        done = resume(cwd, run)
        assert done.returncode == 0, done.stderr
        assert results.load_manifest(run)["status"] == "complete"


def test_a_run_whose_runner_was_killed_reads_as_interrupted_and_resumes(smoke_run, tmp_path):
    cwd = bench_cwd(smoke_run, tmp_path)
    argv = [*HARNESS, "bench", "--plan", "smoke", "--no-report", "--out", "results"]
    status, _ = interrupt_after(argv, cwd, "] ok", 2, 0.2, lambda pid: os.kill(pid, signal.SIGKILL))
    assert status == -signal.SIGKILL
    run = latest_run(cwd)
    assert json.loads((run / "manifest.json").read_text())["status"] == "running"  # as the runner left it
    assert (run / ".lock").exists()  # its pid in it, no process behind it
    assert results.load_manifest(run)["status"] == "interrupted"
    done = resume(cwd, run)
    assert done.returncode == 0, done.stderr
    assert results.load_manifest(run)["status"] == "complete" and not (run / ".lock").exists()


def test_ctrl_c_while_the_datasets_are_generated_leaves_no_run(tmp_path, monkeypatch, capsys):
    from harness.cli import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("harness.commands.bench.ensure_datasets", interrupted)
    try:
        code = main(["bench", "--plan", "smoke", "--no-report"])
    except KeyboardInterrupt:
        code = "KeyboardInterrupt escaped"
    assert code == 130
    assert "interrupted before the run began" in capsys.readouterr().err
    assert not list((tmp_path / "results").glob("*"))


def test_an_error_during_a_run_marks_it_failed(smoke_run, tmp_path, monkeypatch, capsys):
    from harness.cli import main

    cwd, original = smoke_run
    run = copy_run(original, tmp_path)
    (run / "jobs" / f"{results.load_manifest(run)['jobs'][0]['id']}.json").unlink()

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.chdir(cwd)
    monkeypatch.setattr(runner, "run_job", full)
    assert main(["bench", "--no-report", "--resume", str(run)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    manifest = results.load_manifest(run)
    assert manifest["status"] == "failed" and "No space left on device" in manifest["error"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: d.write_text("not a directory"), "datasets is not a directory"),
        (lambda d: d.symlink_to(d.parent / "nowhere"), "datasets is a symbolic link to nothing"),
    ],
)
def test_a_datasets_path_that_cannot_hold_datasets_leaves_no_run(tmp_path, setup, message):
    setup(tmp_path / "datasets")
    done = harness(tmp_path, "bench", "--plan", "smoke", "--no-report")
    assert message in one_line_error(done)
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").iterdir())


def test_a_tampered_dataset_leaves_no_run(smoke_run, tmp_path):
    import shutil
    import sqlite3

    cwd = tmp_path / "work"
    shutil.copytree(smoke_run[0] / "datasets", cwd / "datasets")
    with sqlite3.connect(next((cwd / "datasets").glob("reference-*.sqlite"))) as conn:
        conn.execute('UPDATE part SET data = \'{"type":"text","text":""}\' WHERE rowid = 3')
    done = harness(cwd, "bench", "--plan", "smoke", "--no-report")
    assert "does not match its manifest" in one_line_error(done)
    assert not (cwd / "results").exists() or not list((cwd / "results").iterdir())


def test_the_lock_is_exclusive_whatever_the_lock_file_says(tmp_path):
    (tmp_path / ".lock").write_text("999999")  # a dead runner's pid: no process holds the lock
    with Lock(tmp_path):
        assert (tmp_path / ".lock").read_text() == str(os.getpid())
        with pytest.raises(files.RunError, match=f"in use by process {os.getpid()}"), Lock(tmp_path):
            pass
    with Lock(tmp_path):  # released: free again
        pass


CONTENDER = """
import os, sys, time
from pathlib import Path
from harness.runs.results import RunError
from harness.runs.lock import Lock
run, log, start = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
time.sleep(max(0.0, start - time.time()))
try:
    with Lock(run):
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, b"in\\n")
        time.sleep(0.3)
        os.write(fd, b"out\\n")
        os.close(fd)
except RunError:
    pass
"""


#: Races: each attempt is the same test again, a chance more to catch one; the default suite makes one.
ATTEMPTS = [0, *(pytest.param(attempt, marks=pytest.mark.slow) for attempt in (1, 2))]


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_runners_racing_for_a_stale_lock_hold_it_one_at_a_time(tmp_path, attempt):
    (tmp_path / ".lock").write_text("999999")
    log = tmp_path / "log"
    start = time.time() + 2
    contenders = [subprocess.Popen([sys.executable, "-c", CONTENDER, tmp_path, log, str(start)]) for _ in range(8)]
    for contender in contenders:
        contender.wait()
    events = log.read_text().split()
    assert events and events[0] == "in"
    holding = 0
    for event in events:
        holding += 1 if event == "in" else -1
        assert holding in (0, 1), events


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_two_resumes_of_a_run_with_a_stale_lock_never_both_run(smoke_run, tmp_path, attempt):
    cwd, original = smoke_run
    run = copy_run(original, tmp_path)
    manifest = results.load_manifest(run)
    for job in manifest["jobs"]:
        if job["measurer"] == "census":
            (run / "jobs" / f"{job['id']}.json").unlink()
    (run / ".lock").write_text("999999")
    argv = [*HARNESS, "bench", "--no-report", "--resume", str(run)]
    first = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outcomes = [process.communicate() + (process.returncode,) for process in (first, second)]
    ran = [out for out, _, code in outcomes if code == 0 and "3 jobs ok" in out]
    assert len(ran) == 1, outcomes
    for out, err, code in outcomes:
        assert code == 0 and ("3 jobs ok" in out or "nothing to do" in out) or code == 2 and "in use" in err
    assert results.load_manifest(run)["status"] == "complete"


DRIVER = """
import sys
from pathlib import Path
from harness.runs import runner
from harness.protocol.job import Job
from harness.runtime.python import PythonRuntime
job = Job.from_dict(__import__("json").loads(sys.argv[1]))
print("started", flush=True)
runner.run_job(job, PythonRuntime(job.interpreter, sys.executable, {}), Path(sys.argv[2]), 600)
"""


def processes_mentioning(text):
    """Pids of the live processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if text in cmdline and "zombie" not in state:
            found.append(int(entry.name))
    return found


def wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return condition()


@linux_only
def test_a_runner_killed_with_sigkill_leaves_no_measurer_or_pyperf_worker(smoke_run, tmp_path):
    cwd, original = smoke_run
    run = copy_run(original, tmp_path)
    job = next(job for job in results.load_manifest(run)["jobs"] if job["measurer"] == "timing")
    job["params"] = {"iterations": 200, "pyperf": {"processes": 1, "values": 5000, "warmups": 0, "loops": 1}}
    job["id"] += "-long"
    with subprocess.Popen(
        [sys.executable, "-c", DRIVER, json.dumps(job), run], cwd=cwd, stdout=subprocess.PIPE, text=True
    ) as driver:
        assert driver.stdout.readline() == "started\n"
        job_path = str(run / "jobs" / f"{job['id']}.job.json")
        workers = wait_for(lambda: [pid for pid in processes_mentioning(job_path) if pid != driver.pid][1:])
        assert workers, "the timing measurer never started a pyperf worker"
        driver.kill()  # SIGKILL: the runner gets no chance to clean up
        driver.wait()
    assert wait_for(lambda: not processes_mentioning(job_path), 30), processes_mentioning(job_path)


FIXTURE = Path(__file__).parent / "data" / "smoke-run"


@pytest.mark.integration
@pytest.mark.requires("nbclient", "pandas")
def test_ctrl_c_during_a_report_is_an_interrupt(tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run)
    argv = [*HARNESS, "report", str(run)]
    code, stderr = interrupt_after(argv, tmp_path, "report: executing notebook", 2, 1.0)
    assert code == 130, stderr
    assert stderr.strip().splitlines()[-1] == "harness report: interrupted"
    assert not (run / "report.html").exists()
