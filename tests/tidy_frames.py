"""Tidy tables built by hand for the analysis tests: one row per process of each figure."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Sequence, Union

import pandas as pd

from harness.measure.catalogue import GC_MODE_MEASURERS
from harness.metrics import METRICS
from harness.runs import results

CP = "CPython 3.11.7"
DATASETS = {"reference": "reference-s11-m5000.sqlite", "realistic": "realistic-s11-m5000.sqlite"}


def figure(
    measurer: str,
    workload: str,
    strategy: str,
    metric: str,
    values: Union[float, Sequence[float]],
    size: int = 5000,
    origin: str = "reference",
    interpreter: str = CP,
    gc_mode: str = "",
    read_path: str = "",
    variant: str = "",
    dataset: str = "",
) -> List[Dict[str, Any]]:
    """The rows of one figure, one per process value, in its registered unit (``harness.metrics``)."""
    values = [values] if isinstance(values, (int, float)) else list(values)
    mode = gc_mode or ("enabled" if measurer in GC_MODE_MEASURERS else "")
    return [
        {
            "interpreter": interpreter,
            "interpreter_tag": interpreter.split()[0][:2].lower(),
            "implementation": interpreter.split()[0],
            "strategy": strategy,
            "workload": workload,
            "measurer": measurer,
            "gc_mode": mode,
            "variant": variant,
            "read_path": read_path,
            "reads": "",
            "size": size,
            "metric": metric,
            "value": float(value),
            "unit": METRICS[metric].unit,
            "n": 1,
            "mad": 0.0,
            "job": f"{measurer}-{workload}-{strategy}-{size}-{mode}-{variant}-r{index + 1}",
            "repeat": index + 1,
            "dataset": dataset or DATASETS.get(origin, f"{origin}.sqlite"),
            "dataset_key": origin,
            "origin": origin,
            "other_cores": 0.0,
            "load": 1.0,
            "cpu_share": 1.0,
        }
        for index, value in enumerate(values)
    ]


def frame(*figures: Iterable[Dict[str, Any]]) -> Any:
    """A typed tidy frame of the given figures' rows."""
    records = [row for rows in figures for row in rows]
    found = pd.DataFrame(records, columns=list(results.TIDY_COLUMNS))
    for name in results.TIDY_TEXT:
        found[name] = found[name].astype("string")
    return found.astype(results.TIDY_TYPES)
