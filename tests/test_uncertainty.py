"""Intervals from per-process values: what a comparison may claim, and when it must say "not established"."""

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from harness.uncertainty import MIN_PROCESSES, Estimate, compare, difference

positive = st.lists(st.floats(min_value=1e-3, max_value=1e3), min_size=1, max_size=8)
values = st.lists(st.floats(min_value=-1e3, max_value=1e3), min_size=1, max_size=8)


@given(positive, positive)
def test_a_ratio_and_its_inverse_agree(a, b):
    forward, backward = compare(a, b), compare(b, a)
    assert forward.kind == backward.kind == "ratio"
    assert forward.value * backward.value == pytest.approx(1.0)
    assert forward.direction == -backward.direction and forward.established == backward.established


@given(values, values)
@example([1.0, 1.0], [1.0, 4.9623326605460166e-226])  # a bound beyond a float: infinite, not an OverflowError
def test_an_interval_holds_its_estimate_and_is_established_only_when_it_excludes_no_difference(a, b):
    found = compare(a, b)
    if found.low is None:
        assert not found.established and min(len(a), len(b)) < MIN_PROCESSES
        return
    assert found.low <= found.value + 1e-9 * abs(found.value) + 1e-12
    assert found.value <= found.high + 1e-9 * abs(found.value) + 1e-12
    assert found.established == (not found.low <= found.neutral <= found.high)


def test_one_process_is_never_evidence():
    found = compare([2.0], [1.0])
    assert found.value == 2.0 and not found.established and found.direction == 0
    assert found.text("B's time") == "2.00× B's time, not established (1 process on a side: no interval)"


def test_a_clear_difference_is_established_with_its_direction():
    found = compare([2.0, 2.02, 1.98], [1.0, 1.01, 0.99])
    assert found.kind == "ratio" and found.established and found.direction == 1
    assert found.text("B's") == f"2.00× B's (95 % CI {found.low:.2f}–{found.high:.2f})"


def test_overlapping_samples_are_not_established():
    found = compare([1.0, 1.5, 0.8], [1.1, 0.9, 1.3])
    assert not found.established and found.text().endswith(
        f"not established (95 % CI {found.low:.2f}–{found.high:.2f})"
    )


def test_a_zero_makes_it_a_difference_written_with_signs():
    found = compare([0.0, 0.0, 0.0], [0.15, 0.16, 0.14])
    assert found.kind == "difference" and found.value == pytest.approx(-0.15) and found.direction == -1
    assert found.text("against spread", lambda v: f"{v:.2f} s").startswith("−0.15 s against spread (95 % CI −0.")
    assert " to −" in found.text(show=lambda v: f"{v:.2f}")  # a range of negatives is not written with a dash


def test_an_estimate_is_its_median_with_the_mean_interval():
    assert Estimate.of([1.0]).interval is None and Estimate.of([1.0]).text(str) == "1.0 (1 process)"
    assert Estimate.of([]).text(str) == "—" and math.isnan(Estimate.of([]).median)
    assert Estimate.of([3.0, 3.0, 3.0]).text(lambda v: f"{v:.0f}") == "3 (the same in 3 processes)"
    low, high = Estimate.of([1.0, 2.0, 3.0]).interval
    assert low < 2.0 < high and Estimate.of([1.0, 2.0, 3.0]).text(lambda v: f"{v:.1f}").startswith("2.0 [")


def test_a_comparison_needs_a_value_on_each_side():
    with pytest.raises(ValueError, match="at least one value per side"):
        compare([], [1.0])


def test_variances_too_small_to_square_still_give_an_interval():
    found = compare([0.0, 0.0], [0.0, 3.245158383166571e-104])  # hypothesis found this: var² underflows to 0
    assert found.kind == "difference" and found.low is not None and not found.established


def test_a_difference_of_shares_is_in_their_own_units_whatever_their_signs():
    found = difference([0.40, 0.42, 0.44], [0.30, 0.31, 0.32, float("nan")])
    assert found.kind == "difference" and found.value == pytest.approx(0.11) and (found.n_a, found.n_b) == (3, 3)
    assert found.low < 0.11 < found.high and found.established and found.direction == 1
    assert compare([0.0, 0.1], [0.2, 0.3]) == difference([0.0, 0.1], [0.2, 0.3])  # compare's own difference
    assert difference([0.5], [0.3, 0.4]).low is None
    with pytest.raises(ValueError, match="at least one value per side"):
        difference([float("nan")], [1.0])
