"""The noise trial on runs from a noise model (``fake_trial``): a busy, drifting machine changes neither
the answer nor any finding; interleaving is what keeps the ratios; a real regression fails the trial."""

import json
import math
import statistics
import subprocess
import sys

import pytest

pytest.importorskip("pandas")

from fake_trial import trial_run  # noqa: E402

from harness.analysis.answer import answers  # noqa: E402
from harness.analysis.findings import FINDERS, review  # noqa: E402
from harness.analysis.trial import RATIOS, checks, ratios  # noqa: E402
from harness.runs.results import load_tidy  # noqa: E402


@pytest.fixture(scope="module")
def quiet(tmp_path_factory):
    return trial_run(tmp_path_factory.mktemp("quiet"), seed=1)


def test_a_busy_drifting_machine_changes_neither_the_answer_nor_any_finding(quiet, tmp_path):
    busy = trial_run(tmp_path, seed=2, busy=True)
    found = {check.name: check for check in checks(quiet, busy)}
    assert all(check.passed for check in found.values()), found
    assert "machine state differed" in found["compare"].detail and found["compare"].detail.startswith("0 changed")
    for run in (quiet, busy):
        frame = load_tidy(run)
        report = review(frame)
        assert report.lacking == [] and [item.key for item in report.found] == [finder.key for finder in FINDERS]
        assert not any(item.failed for item in report.found)
        named = {answer.interpreter: (answer.strategy, answer.read_path) for answer in answers(frame)}
        assert named == {"CPython 3.11.7": ("msgspec-lazy", "incremental"), "PyPy 3.9.16": (None, "")}


def test_interleaving_keeps_the_ratios_of_a_machine_that_gets_busier(tmp_path):
    truth = {"spread / fixed access": 38 / 30, "msgspec-lazy / spread rebuild": 0.09 / 0.5}

    def error(interleaved):
        errors = []
        for seed in (20, 21, 22):
            frame = load_tidy(trial_run(tmp_path / f"{interleaved}{seed}", seed, busy=True, interleaved=interleaved))
            errors += [abs(math.log(ratios(frame, name)["CPython 3.11.7"] / truth[name])) for name in RATIOS]
        return statistics.mean(errors)

    assert error(True) < error(False) / 3


def test_a_real_regression_fails_the_trial(quiet, tmp_path):
    slower = trial_run(tmp_path, seed=3, slower={"spread": 1.5})
    found = {check.name: check for check in checks(quiet, slower)}
    assert (
        not found["compare"].passed and "changed: spread access ns_per_read changed (slower" in found["compare"].detail
    )
    assert not found["ratios"].passed and not found["findings"].passed
    assert found["answer"].passed  # the answer itself holds: spread only got worse


def test_the_trial_command_refuses_more_hogs_than_cores(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "harness", "trial", "--hogs", "999"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "--hogs" in done.stderr


@pytest.mark.integration
def test_the_trial_command_runs_two_runs_and_records_its_checks(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "harness", "trial", "--plan", "smoke", "--no-report", "--out", "trial"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("A: ") and lines[1].startswith("B: ") and lines[0] != lines[1]
    assert [line.split(":")[0].split()[-1] for line in lines[2:]] == ["answer", "findings", "compare", "ratios"]
    (record,) = (tmp_path / "trial").glob("*/trial.json")  # each trial in a folder of its own
    saved = json.loads(record.read_text())
    assert [check["name"] for check in saved["checks"]] == ["answer", "findings", "compare", "ratios"]
    assert done.returncode == (0 if all(check["passed"] for check in saved["checks"]) else 1)
    assert "trial: run B (beside 1 busy loop)" in done.stderr
    hogs = subprocess.run(["pgrep", "-f", "die_with_parent()"], capture_output=True, text=True)
    assert hogs.stdout.strip() == ""  # the busy loop stopped with the trial
