"""The catalogue of workloads, as data: what each measures, the unit one call processes, the job
parameters it takes, and where its binder lives.

A workload is added here and in its own module (which defines the binder this entry names), and
nowhere else: ``harness list``, the planner, the measurers' checks, the tidy table and the report
read this table. Reading it imports no workload code, no strategy and no SQLite: a binder is
named ``module:function`` inside ``harness.workloads`` and loaded when a job runs
(``harness.workloads.binding.prepare``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Dict, Tuple

from harness.protocol.job import MAX_MESSAGES, MAX_OBJECTS, MAX_PASSES, Param

#: How the agent loop reads its history (``harness.workloads.read_paths``).
READ_PATHS: Tuple[str, ...] = ("full", "cache-aware", "incremental")
#: The ``access`` workload's variants (``params.reads``): the seed's loop over infos, or one open-map
#: read per tool part (see ``harness.strategies._kernel``).
ACCESS_READS: Tuple[str, ...] = ("seed", "open-map")
#: What ``hydrate_all`` does after building, inside the measured call (``params.then``): nothing, or
#: read every tool part's ``state.input`` once (the ``open-map`` access loop, one pass), so a lazy
#: strategy's decode, and what a memo keeps of it, are in the rebuild's time and GC.
HYDRATE_THEN: Tuple[str, ...] = ("nothing", "open-map")


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    unit: str
    params: Tuple[Param, ...]
    #: ``module:function`` of its binder, the module relative to ``harness.workloads``.
    binder: str
    #: Reads opencode's sessions (compaction, pages of messages with parts): refuses other schemas.
    opencode_only: bool = False
    #: A replay of a long-lived process: only the GC probe runs it (it needs a set number of iterations).
    long_lived: bool = False

    def bind(self) -> Any:
        """The binder: ``bind(job, strategy, dataset, rounds) -> Prepared``."""
        module, function = self.binder.split(":")
        return getattr(importlib.import_module(f"harness.workloads.{module}"), function)


def _read_path() -> Param:
    return Param(
        "read_path",
        str,
        "full",
        "how the history is read: full (opencode at PR #29029), cache-aware (needs cached:<name>), incremental",
        choices=READ_PATHS,
        variant=True,
    )


WORKLOADS: Dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "access",
            "read role, cost, summary, finish, error, variant, structured of every info, 200 times"
            " (reads=open-map: len of every tool part's state.input instead; another schema: its access"
            " fields, or those named by read)",
            "read",
            (
                Param("iterations", int, 200, "passes over every object", minimum=1, maximum=MAX_PASSES),
                Param(
                    "reads",
                    str,
                    "seed",
                    "seed: the seed's 7 properties of every info; open-map: every tool part's state.input",
                    choices=ACCESS_READS,
                    variant=True,
                ),
                Param(
                    "read",
                    str,
                    "",
                    "a non-built-in schema's top-level fields to read, comma-separated (default: the schema's"
                    " access fields, the most frequent ones)",
                    variant=True,
                ),
            ),
            "rows:bind_access",
        ),
        Workload(
            "hydrate_all",
            "build every info and part from stored rows (JSON decode included), no SQLite (then=open-map: then"
            " read every tool part's state.input once)",
            "row",
            (
                Param(
                    "then",
                    str,
                    "nothing",
                    "after building: nothing, or open-map (len of every tool part's state.input, once)",
                    choices=HYDRATE_THEN,
                    variant=True,
                ),
            ),
            "rows:bind_hydrate_all",
        ),
        Workload(
            "page",
            "one page of 50 messages, newest first, parts loaded with one IN query",
            "message",
            (Param("limit", int, 50, "messages per page", minimum=1, maximum=MAX_MESSAGES),),
            "opencode:bind_page",
            opencode_only=True,
        ),
        Workload(
            "filter_compacted",
            "stream a session newest first down to its last compaction boundary",
            "message",
            (_read_path(),),
            "history:bind_filter_compacted",
            opencode_only=True,
        ),
        Workload(
            "run_loop",
            "agent loop: append messages, re-read the history with filter_compacted, repeat",
            "message",
            (
                Param(
                    "growth",
                    int,
                    0,
                    "messages the prompt appends before each re-read",
                    minimum=0,
                    maximum=MAX_MESSAGES,
                ),
                _read_path(),
            ),
            "history:bind_run_loop",
            opencode_only=True,
        ),
        Workload(
            "serve",
            "a long-lived opencode serve process: sessions in flight take agent-loop iterations in turn at a"
            " set rate, each keeping its history and framework frames alive until its next one, beside an"
            " event buffer and other long-lived state",
            "message",
            (
                Param(
                    "sessions",
                    int,
                    4,
                    "sessions in flight (the dataset's longest)",
                    minimum=1,
                    maximum=64,
                    variant=True,
                ),
                Param(
                    "growth",
                    int,
                    10,
                    "messages each iteration appends to its session first",
                    minimum=0,
                    maximum=MAX_MESSAGES,
                    variant=True,
                ),
                Param(
                    "rate",
                    float,
                    0.0,
                    "iterations per second the process is asked for (0: back to back)",
                    minimum=0,
                    maximum=1000,
                    variant=True,
                ),
                Param(
                    "framework",
                    int,
                    0,
                    "framework objects per row read (a closure and its environment, standing for the Effect generator"
                    " frames opencode reads its history through)",
                    minimum=0,
                    maximum=64,
                    variant=True,
                ),
                Param(
                    "fanout",
                    int,
                    1000,
                    "events the process's event fan-out buffer keeps",
                    minimum=0,
                    maximum=1_000_000,
                    variant=True,
                ),
                Param(
                    "retain_mb",
                    int,
                    0,
                    "MiB of other long-lived state the process holds (ballast)",
                    minimum=0,
                    maximum=65536,
                    variant=True,
                ),
            ),
            "serve:bind_serve",
            opencode_only=True,
            long_lived=True,
        ),
        Workload(
            "read_site",
            "read x of objects with `size` shapes (1-256) at one site; the strategy names the object kind "
            "(spread: dicts, instance-dict, slots); the dataset is not read",
            "read",
            (
                Param("objects", int, 4096, "objects read per pass", minimum=1, maximum=MAX_OBJECTS),
                Param("passes", int, 25, "passes over the objects per call", minimum=1, maximum=MAX_PASSES),
            ),
            "read_site:bind_read_site",
        ),
    )
}
