"""The harness's copy of pyperf's statistics (``harness.uncertainty.t95``, ``pooled_t_test``) pinned to
the installed pyperf's own answers: its t table, and the significance ``pyperf compare_to`` decides.

This test alone reads pyperf's private modules, to hold the copy to them; when a pyperf release
moves them, it is skipped with the reason, and the copy stands as it is.
"""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from harness.uncertainty import pooled_t_test, t95

pyperf = pytest.importorskip("pyperf")
_utils = pytest.importorskip("pyperf._utils", reason="pyperf no longer has the private module the copy follows")
_compare = pytest.importorskip("pyperf._compare", reason="pyperf no longer has the private module the copy follows")

#: Timing values as pyperf holds them: positive seconds, from nanoseconds to minutes.
seconds = st.floats(min_value=1e-9, max_value=100.0, allow_nan=False, allow_infinity=False)
#: Two benchmarks of as many values each (pyperf tests only those).
same_sizes = st.integers(min_value=2, max_value=40).flatmap(
    lambda n: st.tuples(st.lists(seconds, min_size=n, max_size=n), st.lists(seconds, min_size=n, max_size=n))
)


def _bench(values):
    """A pyperf benchmark of one run holding ``values``."""
    run = pyperf.Run(values, warmups=None, metadata={"name": "b", "unit": "second"}, collect_metadata=False)
    return pyperf.Benchmark([run])


def _pyperf_decides(a, b):
    """(t score, significant) as ``pyperf compare_to`` decides for benchmarks of values ``a`` and ``b``."""
    result = _compare.CompareResult(_compare.CompareData("A", _bench(a)), _compare.CompareData("B", _bench(b)))
    return result.t_score, result.significant


def test_the_quantile_is_pyperfs_for_every_df_of_its_table_and_bands():
    for df in range(1, 1001):
        assert t95(df) == _utils.tdist95conf_level(df), df


@given(st.integers(min_value=1, max_value=10**9))
def test_the_quantile_is_pyperfs_far_beyond(df):
    assert t95(df) == _utils.tdist95conf_level(df)


def test_the_quantile_needs_a_degree_of_freedom():
    with pytest.raises(ValueError, match="at least 1 degree of freedom"):
        t95(0)


@given(same_sizes)
@example(([1.0, 1.01, 0.99], [1.5, 1.51, 1.49]))  # far apart: significant
@example(([1.0, 1.01, 0.99], [1.0, 1.02, 0.98]))  # one distribution: not significant
def test_the_t_test_scores_and_decides_as_pyperf_compare_to_does(pair):
    a, b = pair
    score, significant = _pyperf_decides(a, b)
    tested = pooled_t_test(a, b)
    if score is None:  # pyperf's test did not run (no spread at all)
        assert tested is None
    else:
        assert tested == (score, significant)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([1.0, 2.0, 3.0], [1.0, 2.0]),  # unequal sizes
        ([1.0], [2.0]),  # one value a side
        ([1.0, 1.0], [2.0, 2.0]),  # no spread within either side
        ([1.0, 1.0], [1.0, 1.0]),
    ],
)
def test_where_pyperf_gives_no_t_score_the_copy_gives_no_test(a, b):
    assert _pyperf_decides(a, b)[0] is None
    assert pooled_t_test(a, b) is None
