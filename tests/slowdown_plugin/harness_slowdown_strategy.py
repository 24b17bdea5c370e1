"""A test-only strategy for the deliberate slowdown ``tests/test_instructions.py`` must catch.

``slowdown-twin`` builds every row as ``fixed`` does. With ``HARNESS_SLOWDOWN=1`` in its environment
(the "commit" that made it slower) it builds every hundredth row twice, keeping the second: 1 % more
row builds, the same objects. Either way every build passes the same check, so the one difference
between the two is the extra work.
"""

import itertools
import os
from typing import Any, Callable, Tuple

from harness.strategies.fixed import Fixed

#: Every PERIOD-th row is built twice with the slowdown on; with it off the period is never reached.
PERIOD = 100 if os.environ.get("HARNESS_SLOWDOWN") == "1" else 2**62
_builds = itertools.count(1)


def _now_and_then_twice(build: Callable[[Tuple], Any]) -> Callable[[Tuple], Any]:
    def built(row: Tuple) -> Any:
        if next(_builds) % PERIOD == 0:
            build(row)
        return build(row)

    return built


class SlowdownTwin(Fixed):
    name = "slowdown-twin"
    description = "test only: fixed; with HARNESS_SLOWDOWN=1 every hundredth row is built twice"
    info = staticmethod(_now_and_then_twice(Fixed.info))
    part = staticmethod(_now_and_then_twice(Fixed.part))
