"""The linear congruential generator of opencode's shape-stability perf test.

State is an unsigned 32-bit integer; every draw advances it first
(``s = (s * 1664525 + 1013904223) mod 2**32``) and returns ``s / 2**32``, a
double in [0, 1). Integer arithmetic keeps it bit-identical to the JavaScript
original, where the product never exceeds 2**53.
"""

from __future__ import annotations

MODULUS = 2**32
MULTIPLIER = 1664525
INCREMENT = 1013904223


class Lcg:
    """Seeded uniform source in [0, 1) that counts its draws."""

    __slots__ = ("state", "calls")

    def __init__(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < MODULUS:
            raise ValueError(f"seed must be an integer in 0..{MODULUS - 1}, got {seed!r}")
        self.state = seed
        self.calls = 0

    def draw(self) -> float:
        """Advance the state and return it scaled to [0, 1)."""
        self.state = (self.state * MULTIPLIER + INCREMENT) % MODULUS
        self.calls += 1
        return self.state / MODULUS

    def below(self, probability: float) -> bool:
        """One fresh draw, true when it is strictly below ``probability``."""
        return self.draw() < probability

    def integer(self, scale: int) -> int:
        """``floor(draw * scale)``: an integer in 0..scale-1."""
        return int(self.draw() * scale)

    def choice(self, options: tuple):
        """One draw picks an element uniformly: ``options[floor(draw * len)]``."""
        return options[int(self.draw() * len(options))]
