"""Verdicts that do not cry wolf: enough samples, pyperf's t-test and a threshold, under a noise model."""

from __future__ import annotations

import random

import pytest

pyperf = pytest.importorskip("pyperf")
pytest.importorskip("pandas")

from fake_runs import noisy_run  # noqa: E402

from harness.analysis.compare import compare_runs, load_run  # noqa: E402
from harness.analysis.verdict import (  # noqa: E402
    CHANGED,
    NOT_ENOUGH,
    UNCHANGED,
    exact_verdict,
    samples,
    timing_verdict,
)


def _bench(process_means, values=3, jitter=0.0, seed=0):
    rng = random.Random(seed)
    runs = [
        pyperf.Run(
            [mean * (1 + rng.gauss(0, jitter)) for _ in range(values)],
            warmups=None,
            metadata={"name": "b", "unit": "second"},
            collect_metadata=False,
        )
        for mean in process_means
    ]
    return pyperf.Benchmark(runs)


def _compare(a, b):
    return compare_runs(a, b, load_run(a)[1], load_run(b)[1])


def test_a_rerun_from_the_same_distribution_changes_nothing(tmp_path):
    """The noise model: two runs whose values come from one distribution; nothing may be called changed."""
    for seed in range(5):
        first = noisy_run(tmp_path / f"a{seed}", seed=2 * seed)
        again = noisy_run(tmp_path / f"b{seed}", seed=2 * seed + 1)
        comparison = _compare(first, again)
        timing = [row for row in comparison.rows if row.measurer == "timing"]
        assert len(timing) == 30  # 30 benchmarks, each once (its ns per read; not seconds per call too)
        assert not [row for row in timing if row.verdict.label == CHANGED], comparison.summary()
        assert all(row.verdict.label == UNCHANGED for row in timing)  # 8 processes are enough here


def test_a_real_shift_beyond_the_threshold_is_found(tmp_path):
    base = noisy_run(tmp_path / "a", seed=1)
    slower = noisy_run(tmp_path / "b", seed=2, shift=1.25)
    comparison = _compare(base, slower)
    timing = [row for row in comparison.rows if row.measurer == "timing"]
    assert timing and all(row.verdict.label == CHANGED and "slower" in row.verdict.detail for row in timing)
    assert comparison.summary().startswith("30 changed, 0 unchanged")
    assert "geometric mean of timing B/A 1.2" in comparison.summary()


def test_a_significant_shift_within_the_threshold_is_not_a_change(tmp_path):
    base = noisy_run(tmp_path / "a", seed=1, processes=20, noise={"process": 0.005, "value": 0.002})
    nudged = noisy_run(tmp_path / "b", seed=2, processes=20, shift=1.04, noise={"process": 0.005, "value": 0.002})
    timing = [row for row in _compare(base, nudged).rows if row.measurer == "timing"]
    assert all(row.verdict.label == UNCHANGED and row.verdict.detail.startswith("significant") for row in timing)


def test_noisy_few_process_runs_are_not_enough_even_when_far_apart(tmp_path):
    noise = {"process": 0.15, "value": 0.05}
    base = noisy_run(tmp_path / "a", seed=3, processes=2, noise=noise)
    other = noisy_run(tmp_path / "b", seed=4, processes=2, shift=1.3, noise=noise)
    comparison = _compare(base, other)
    timing = [row for row in comparison.rows if row.measurer == "timing"]
    assert all(row.verdict.label == NOT_ENOUGH for row in timing)
    assert comparison.count(CHANGED) == 0 and "more pyperf processes" in comparison.advice()


def test_samples_follow_the_sample_size_rule():
    one = samples(_bench([1.0]))
    assert (one.processes, one.cv, one.enough) == (1, None, False)  # one process gives no spread
    steady = samples(_bench([1.0, 1.0, 1.0]))
    assert steady.enough and steady.needed == 2
    # cv 2.3 % of the process means: Student's t asks 4 processes for ±5 % (pyperf's 1.96 would ask 1)
    spread = samples(_bench([0.98, 1.02, 0.98, 1.02]))
    assert spread.cv == pytest.approx(0.02 * (4 / 3) ** 0.5, rel=1e-6) and spread.needed == 4 and spread.enough
    assert not samples(_bench([0.98, 1.02])).enough
    wide = _bench([0.95, 1.05, 0.95])
    assert not samples(wide).enough and samples(wide, threshold=1.5).enough  # a looser threshold needs fewer


def test_timing_verdict_reports_what_is_missing():
    few = _bench([1.0, 1.3])
    verdict = timing_verdict(few, _bench([1.0, 1.0, 1.0]), 1.1)
    assert verdict.label == NOT_ENOUGH and verdict.detail.startswith("A: 2 processes,")
    assert timing_verdict(None, few, 1.0).label == "no pyperf data"


def test_timing_verdict_needs_the_t_test_and_the_threshold():
    a = _bench([1.00, 1.01, 0.99, 1.00], jitter=0.005, seed=1)
    b = _bench([1.50, 1.51, 1.49, 1.50], jitter=0.005, seed=2)
    assert str(timing_verdict(a, b, 1.5)).startswith("changed (slower, t=")
    assert str(timing_verdict(b, a, 1 / 1.5)).startswith("changed (faster, t=")
    assert timing_verdict(a, b, 1.5, threshold=2.0).label == UNCHANGED
    same = _bench([1.01, 0.99, 1.00, 1.00], jitter=0.005, seed=3)
    assert timing_verdict(a, same, 1.0).detail.startswith("not significant")


def test_exact_figures_change_on_any_difference():
    assert exact_verdict(47, 47).label == UNCHANGED
    assert exact_verdict(47, 48).label == CHANGED
