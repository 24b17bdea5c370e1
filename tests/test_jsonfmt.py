import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.jsonfmt import js_dumps, js_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (5.0, "5"),
        (-2.5, "-2.5"),
        (0.1, "0.1"),
        (123.456, "123.456"),
        (0.00001234, "0.00001234"),
        (1e-6, "0.000001"),
        (1.5e-7, "1.5e-7"),
        (2.923724241554737e-7, "2.923724241554737e-7"),
        (1e16, "10000000000000000"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.2345e22, "1.2345e+22"),
        (5e-324, "5e-324"),
    ],
)
def test_ecmascript_number_to_string(value, expected):
    assert js_number(value) == expected


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_formatting_round_trips(value):
    text = js_number(value)
    assert float(text) == value
    assert "e-0" not in text and "e+0" not in text
    assert not text.endswith(".0")


def test_non_finite_numbers_are_refused():
    with pytest.raises(ValueError):
        js_number(math.inf)


def test_dumps_is_compact_keeps_order_and_rewrites_only_numbers():
    value = {"b": 1, "a": [True, None, 5.0, 1e-05], "s": "1e-05 and 2.0", "t": {}}
    assert js_dumps(value) == '{"b":1,"a":[true,null,5,0.00001],"s":"1e-05 and 2.0","t":{}}'


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
        lambda children: st.lists(children) | st.dictionaries(st.text(), children),
        max_leaves=20,
    )
)
def test_dumps_is_valid_json_of_the_same_value(value):
    # JSON numbers carry no int/float distinction: 5.0 is written "5" and read back as 5.
    assert as_floats(json.loads(js_dumps(value))) == as_floats(value)


def as_floats(value):
    if isinstance(value, dict):
        return {key: as_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_floats(item) for item in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value
