"""Seeded generators of opencode-style sessions, one module per profile.

A generation is a list of records in generation order: each record is one
message row with its part rows, in opencode's SQLite row layout
(``id, session_id, time_created, time_updated, data`` for messages,
``id, message_id, session_id, ...`` for parts).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from harness.generate.reference import generate_reference

PROFILES: Tuple[str, ...] = ("reference", "realistic")
#: Bumped whenever any profile's output changes for the same inputs.
GENERATOR_VERSION = 1

Record = Tuple[dict, List[dict]]


@dataclass
class Generated:
    """One generator run: its inputs, its records and how many LCG draws it made."""

    profile: str
    seed: int
    messages: int
    params: Dict[str, Any]
    records: List[Record]
    rng_calls: int

    @property
    def parts(self) -> int:
        return sum(len(parts) for _, parts in self.records)

    @property
    def session_ids(self) -> List[str]:
        """Session ids in order of first appearance."""
        return list(dict.fromkeys(row["session_id"] for row, _ in self.records))


def generate(
    profile: str,
    seed: int,
    messages: int,
    avg_parts: Optional[float] = None,
    sessions: Optional[int] = None,
    overrides: Optional[Dict[str, Any]] = None,
) -> Generated:
    """Run profile ``profile``; ``avg_parts`` / ``sessions`` and the realistic profile's other
    parameters (``overrides``, by field name) replace its defaults when given."""
    if profile == "reference":
        if sessions not in (None, 1):
            raise ValueError("the reference profile has exactly one session")
        if overrides:
            raise ValueError("the reference profile has no parameters besides --avg-parts")
        params: Dict[str, Any] = {"avg_parts": 0 if avg_parts is None else avg_parts}
        records, calls = generate_reference(seed, messages, params["avg_parts"])
    elif profile == "realistic":
        from harness.generate.realistic import RealisticParams, generate_realistic

        changes = dict(overrides or {})
        changes.update(
            (key, value) for key, value in (("avg_parts", avg_parts), ("sessions", sessions)) if value is not None
        )
        known = {field.name for field in dataclasses.fields(RealisticParams)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(
                f"unknown realistic parameter {unknown[0]!r}; see RealisticParams: {', '.join(sorted(known))}"
            )
        chosen = dataclasses.replace(RealisticParams(), **changes)
        params = dataclasses.asdict(chosen)
        records, calls = generate_realistic(seed, messages, chosen)
    else:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    return Generated(profile, seed, messages, params, records, calls)
