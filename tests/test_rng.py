import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.rng import MODULUS, Lcg


def test_first_draw_uses_the_updated_state():
    rng = Lcg(0)
    assert rng.draw() == 1013904223 / MODULUS
    assert rng.state == 1013904223
    assert rng.calls == 1


def test_state_wraps_modulo_2_32():
    rng = Lcg(MODULUS - 1)
    rng.draw()
    assert rng.state == ((MODULUS - 1) * 1664525 + 1013904223) % MODULUS


@given(st.integers(min_value=0, max_value=MODULUS - 1))
def test_draws_are_in_unit_interval_and_counted(seed):
    rng = Lcg(seed)
    values = [rng.draw() for _ in range(20)]
    assert all(0 <= value < 1 for value in values)
    assert rng.calls == 20


def test_helpers_make_one_draw_each():
    rng = Lcg(11)
    rng.below(0.5)
    rng.integer(10)
    rng.choice(("a", "b"))
    assert rng.calls == 3


@pytest.mark.parametrize("seed", [-1, MODULUS, 1.5, "3", True])
def test_bad_seeds_are_rejected(seed):
    with pytest.raises(ValueError, match="seed must be an integer"):
        Lcg(seed)
