"""Seeded generators of opencode-style sessions, one module per profile.

A generation is a list of records in generation order: each record is one
message row with its part rows, in opencode's SQLite row layout
(``id, session_id, time_created, time_updated, data`` for messages,
``id, message_id, session_id, ...`` for parts). A generation is stored as a dataset by
``harness.store.write_dataset``; its file name and the check that a dataset is a spec's live here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from harness.generate.reference import generate_reference
from harness.store import GENERATED, GeneratedOrigin, Manifest, dataset_origin

PROFILES: Tuple[str, ...] = ("reference", "realistic")
#: Bumped whenever any profile's output changes for the same inputs.
GENERATOR_VERSION = 3  # 2: realistic records keyed by data (LSP diagnostics by path, tools); 3: older writers

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

    def origin(self) -> GeneratedOrigin:
        """What a dataset of this generation records of where its rows come from."""
        return GeneratedOrigin(
            kind=GENERATED,
            profile=self.profile,
            generator_version=GENERATOR_VERSION,
            seed=self.seed,
            params=self.params,
            rng_calls=self.rng_calls,
        )


@dataclass(frozen=True)
class Spec:
    """What a dataset is generated from. ``avg_parts`` / ``sessions`` and the realistic profile's
    other parameters (``overrides``, by field name) replace the profile's defaults when given."""

    profile: str
    seed: int
    messages: int
    avg_parts: Optional[float] = None
    sessions: Optional[int] = None
    overrides: Dict[str, Any] = field(default_factory=dict)

    def params(self) -> Dict[str, Any]:
        """The profile's parameters with this spec's changes (as the manifest records them);
        ValueError naming the first one that is unknown or invalid."""
        if self.profile == "reference":
            if self.sessions not in (None, 1):
                raise ValueError("the reference profile has exactly one session")
            if self.overrides:
                raise ValueError("the reference profile has no parameters besides --avg-parts")
            return {"avg_parts": 0 if self.avg_parts is None else self.avg_parts}
        if self.profile == "realistic":
            return dataclasses.asdict(self._realistic())
        raise ValueError(f"unknown profile {self.profile!r}; choose one of {', '.join(PROFILES)}")

    def _realistic(self) -> Any:
        from harness.generate.realistic import RealisticParams, filled_sessions

        changes = dict(self.overrides)
        changes.update(
            (key, value)
            for key, value in (("avg_parts", self.avg_parts), ("sessions", self.sessions))
            if value is not None
        )
        known = {field.name for field in dataclasses.fields(RealisticParams)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(
                f"unknown realistic parameter {unknown[0]!r}; see RealisticParams: {', '.join(sorted(known))}"
            )
        chosen = dataclasses.replace(RealisticParams(), **changes)
        if self.sessions is not None:
            filled = filled_sessions(self.seed, self.messages, chosen)
            if filled < self.sessions:
                raise ValueError(
                    f"{self.messages} messages fill only {filled} of {self.sessions} sessions "
                    f"(with seed {self.seed}); give more messages or fewer sessions"
                )
        return chosen

    def generate(self) -> Generated:
        """Run the generator."""
        if self.profile == "realistic":
            from harness.generate.realistic import generate_realistic

            chosen = self._realistic()
            params = dataclasses.asdict(chosen)
            records, calls = generate_realistic(self.seed, self.messages, chosen)
        else:
            params = self.params()  # the reference profile's, or ValueError
            records, calls = generate_reference(self.seed, self.messages, params["avg_parts"])
        return Generated(self.profile, self.seed, self.messages, params, records, calls)


def generate(
    profile: str,
    seed: int,
    messages: int,
    avg_parts: Optional[float] = None,
    sessions: Optional[int] = None,
    overrides: Optional[Dict[str, Any]] = None,
) -> Generated:
    """Run profile ``profile`` (see ``Spec``)."""
    return Spec(profile, seed, messages, avg_parts, sessions, dict(overrides or {})).generate()


def default_name(spec: Spec) -> str:
    """File name encoding a dataset's inputs, e.g. ``reference-s11-m5000-a0.sqlite``; other
    parameter overrides add a short hash of themselves (``-p1a2b3c4d``)."""
    name = f"{spec.profile}-s{spec.seed}-m{spec.messages}"
    if spec.avg_parts is not None:
        name += f"-a{spec.avg_parts:g}"
    if spec.sessions is not None:
        name += f"-k{spec.sessions}"
    if spec.overrides:
        name += "-p" + hashlib.sha256(json.dumps(spec.overrides, sort_keys=True).encode()).hexdigest()[:8]
    return name + ".sqlite"


def spec_mismatch(manifest: Manifest, spec: Spec) -> Optional[str]:
    """How a dataset's manifest differs from what ``spec`` generates (e.g. ``seed 12, not 11``),
    or None when it is that dataset."""
    origin = manifest["origin"]
    if origin["kind"] != GENERATED:
        return f"profile {dataset_origin(manifest)!r}, not {spec.profile!r}"
    found = {"profile": origin["profile"], "seed": origin["seed"], "messages": manifest["messages"]}
    for key, value in {"profile": spec.profile, "seed": spec.seed, "messages": spec.messages}.items():
        if found[key] != value:
            return f"{key} {found[key]!r}, not {value!r}"
    wanted = json.loads(json.dumps(spec.params()))  # tuples as the JSON manifest holds them
    recorded = origin["params"] if isinstance(origin["params"], dict) else {}
    for key in sorted(set(wanted) | set(recorded)):
        if recorded.get(key) != wanted.get(key):
            return f"{key} {recorded.get(key)!r}, not {wanted.get(key)!r}"
    return None
