"""The incident plans: one factor at a time around one base, the builders at every configuration, the
row cache at the base, and datasets whose sessions can hold every configuration."""

import math
from pathlib import Path

import pytest

from harness.generate.realistic import session_sizes
from harness.generate.realistic_params import RealisticParams
from harness.runs import runner
from harness.runs.plans import INCIDENT_BASE, PLANS, SERVE_BUILDERS, SERVE_CACHED
from harness.runtime.python import current

FACTORS = ("dataset", "size", "sessions", "retain_mb", "framework")


def _configurations(name):
    chosen = PLANS[name]
    datasets = {spec.key: Path(f"{spec.key}.sqlite") for spec in chosen.datasets}
    planned, _ = runner.plan(chosen, [current()], datasets)
    assert len({job.id for job in planned}) == len(planned) > 0
    assert {(job.measurer, job.workload) for job in planned} == {("gcprobe", "serve"), ("census", "hydrate_all")}
    jobs = [job for job in planned if job.workload == "serve"]
    found = {}
    for job in jobs:
        config = (Path(job.dataset).stem, job.size, *(job.params.get(k, 0) for k in FACTORS[2:]))
        found.setdefault(config, set()).add(job.strategy)
    return chosen, jobs, found


@pytest.mark.parametrize("name", ["incident", "incident-full"])
def test_every_configuration_moves_one_factor_from_the_base_except_the_largest(name):
    chosen, jobs, found = _configurations(name)
    base = ("serve-paths2000", 2000, INCIDENT_BASE["sessions"], 0, 0)
    assert base in found
    moved = {config: [i for i, (a, b) in enumerate(zip(config, base)) if a != b] for config in found}
    combined = [config for config, factors in moved.items() if len(factors) > 1]
    assert len(combined) == 1  # every factor at its largest level at once
    largest = combined[0]
    for i in range(1, len(FACTORS)):
        assert largest[i] == max(config[i] for config in found)
    assert {FACTORS[i] for factors in moved.values() for i in factors} == set(FACTORS)
    for config, strategies in found.items():
        cached = set(SERVE_CACHED) if config == base else set()
        assert strategies == set(SERVE_BUILDERS) | cached, config
    base_rounds = next(job.params["rounds"] for job in jobs if job.params["sessions"] == INCIDENT_BASE["sessions"])
    visits = base_rounds // INCIDENT_BASE["sessions"]
    for job in jobs:  # each session is visited at least as often as at the base, the window no shorter
        sessions = job.params.get("sessions", INCIDENT_BASE["sessions"])
        assert job.params["rounds"] == max(base_rounds, visits * sessions), job.id


@pytest.mark.parametrize("name", ["incident", "incident-full"])
def test_the_datasets_hold_every_configuration(name):
    chosen, jobs, _ = _configurations(name)
    for spec in chosen.datasets:
        sizes = sorted(
            session_sizes(spec.seed, spec.messages, RealisticParams(sessions=spec.sessions, **spec.overrides))
        )
        for job in jobs:
            if Path(job.dataset).stem != spec.key:
                continue
            sessions = job.params.get("sessions", INCIDENT_BASE["sessions"])
            needed = job.size + (1 + math.ceil(job.params["rounds"] / sessions)) * job.params["growth"]
            assert sizes[-sessions] >= needed, (job.id, sizes)
