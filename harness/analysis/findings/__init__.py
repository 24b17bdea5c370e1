"""Findings: what a run's numbers tell about the question, one sentence each (driver side, pandas).

``review(frame)`` runs every finder of ``FINDERS``, ordered by what they tell about the question
(how many shapes; what they cost in GC, memory, the agent loop and lookups; the runtimes apart).
A finder whose data the run lacks is listed with what it needs; one that fails on the data is
kept as a failed finding saying why — never dropped in silence. What a finding is:
``harness.analysis.findings.model``; the finders: ``shapes``, ``costs``, ``lookups``.
"""

from __future__ import annotations

from typing import Any, List, Tuple

from harness.analysis.findings.costs import gc_controls, gc_cost, loop_growth, lowest_memory
from harness.analysis.findings.lookups import best_access, key_order_access, pypy, read_site_cliff
from harness.analysis.findings.model import SEED_MESSAGES, SEED_SHAPES, Finder, Finding, Review
from harness.analysis.findings.shapes import jsc_structures, key_sharing, shape_counts

__all__ = ["FINDERS", "SEED_MESSAGES", "SEED_SHAPES", "Finder", "Finding", "Review", "findings", "review"]

FINDERS: Tuple[Finder, ...] = (
    Finder("shapes", "How many shapes", "a census of spread and fixed on the reference dataset", shape_counts),
    Finder("jsc_structures", "JavaScriptCore Structures", "a census on JavaScriptCore (Bun)", jsc_structures),
    Finder(
        "gc_cost", "What the collector takes", "GC-enabled gcprobe rebuilds of spread and another strategy", gc_cost
    ),
    Finder("gc_controls", "The GC controls", "gcprobe rebuilds with GC enabled and disabled (or frozen)", gc_controls),
    Finder("memory", "Memory", "memory (memray) rebuilds of two strategies", lowest_memory),
    Finder("loop_growth", "The agent loop", "gcprobe run_loop jobs of two strategies or read paths", loop_growth),
    Finder("best_access", "Lookups: the seed's read loop", "access timings of two strategies", best_access),
    Finder("key_order", "Lookups: key order", "CPython access timings of fixed and spread(-filled)", key_order_access),
    Finder("key_sharing", "Lookups: key-sharing", "a CPython census of instance-dict or dataclass", key_sharing),
    Finder("read_site", "Lookups: one read site", "read_site timings at two or more shape counts", read_site_cliff),
    Finder("pypy", "PyPy", "access timings on PyPy", pypy),
)


def review(frame: Any) -> Review:
    """Every finding the run's numbers support, in FINDERS order, and the finders they do not."""
    found: List[Finding] = []
    lacking: List[Finder] = []
    for finder in FINDERS:
        try:
            result = finder.find(frame)
        except Exception as error:  # a finder that fails on real data is a failed finding, shown
            result = Finding(
                finder.key, finder.title, f"Could not be computed: {type(error).__name__}: {error}.", failed=True
            )
        if result is None:
            lacking.append(finder)
        else:
            found.append(result)
    return Review(found, lacking)


def findings(frame: Any) -> List[Finding]:
    """Every finding the run's numbers support (``review(frame).found``)."""
    return review(frame).found
