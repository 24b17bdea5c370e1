"""Layers point down: the analysis reads results only, so neither importing it nor analysing a run
loads a strategy, SQLite or a measurer (each checked in a fresh interpreter)."""

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import harness.analysis

ANALYSIS = [
    "harness.analysis",
    *(m.name for m in pkgutil.walk_packages(harness.analysis.__path__, "harness.analysis.")),
]
NOTEBOOKS = sorted((Path(harness.analysis.__file__).parent / "notebooks").glob("*.py"))
SMOKE_RUN = Path(__file__).parent / "data" / "smoke-run"
MEASURERS = ("timing", "memory", "gcprobe", "census", "scalene", "entry")


def forbidden(name: str) -> bool:
    """A module the analysis must not load: a strategy, the store, SQLite, a measurer or a workload
    (the workload catalogue, which is data, excepted)."""
    return (
        name == "sqlite3"
        or name.split(".")[:2] in (["harness", "strategies"], ["harness", "store"])
        or name in {f"harness.measure.{measurer}" for measurer in MEASURERS}
        or (name.startswith("harness.workloads.") and name != "harness.workloads.catalogue")
    )


def loaded_by(steps: dict) -> dict:
    """Per step (name -> code, run in order in one fresh interpreter), the forbidden modules it
    loaded first: a module loaded by an earlier step is that step's."""
    script = (
        "import json, sys\nfound = {}\n"
        + "".join(
            f"before = set(sys.modules)\nexec({code!r})\nfound[{name!r}] = sorted(set(sys.modules) - before)\n"
            for name, code in steps.items()
        )
        + "print(json.dumps(found))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    return {name: [module for module in modules if forbidden(module)] for name, modules in found.items()}


def test_what_the_analysis_must_not_load():
    assert forbidden("sqlite3") and forbidden("harness.strategies") and forbidden("harness.strategies.spread")
    assert (
        forbidden("harness.store") and forbidden("harness.measure.gcprobe") and forbidden("harness.workloads.opencode")
    )
    assert not any(map(forbidden, ("harness.workloads.catalogue", "harness.measure.catalogue", "harness.storey")))


def test_analysis_loads_no_strategy_sqlite_or_measurer():
    found = loaded_by({module: f"import {module}" for module in ANALYSIS})
    assert set(found) == set(ANALYSIS) and found == {module: [] for module in ANALYSIS}


def test_the_notebooks_imports_load_no_strategy_sqlite_or_measurer():
    steps = {}
    for notebook in NOTEBOOKS:
        tree = ast.parse(notebook.read_text(encoding="utf-8"))
        steps[notebook.stem] = "\n".join(
            ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
        )
    assert all(steps.values()) and loaded_by(steps) == {name: [] for name in steps}


def test_analysing_a_run_loads_no_strategy_sqlite_or_measurer():
    code = f"""
from harness.runs.results import load_tidy
from harness.analysis.answer import answer_rows, answers
from harness.analysis.findings import review
from harness.analysis.runtimes import costs, fix_removes, shapes_by_place
from harness.analysis.summary import headline_rows
from harness.analysis.trial import RATIOS, ratios
frame = load_tidy({str(SMOKE_RUN)!r})
assert review(frame).found and headline_rows(frame)
answers(frame), answer_rows(frame), costs(frame), fix_removes(frame), shapes_by_place(frame)
[ratios(frame, name) for name in RATIOS]
"""
    assert loaded_by({"analysis": code}) == {"analysis": []}


def _layout_section() -> str:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_layout_names_every_module_and_package_of_the_tree():
    """Every module and package at the top of ``harness/`` has its line in the README's layout, and
    every path the layout names exists."""
    package = Path(harness.analysis.__file__).resolve().parents[1]
    named = {
        line.split()[0]
        for line in _layout_section().splitlines()
        if line.startswith("harness/") and line.split()[0] != "harness/"
    }
    tops = {
        f"harness/{path.name}/" if path.is_dir() else f"harness/{path.name}"
        for path in package.iterdir()
        if path.name not in {"__init__.py", "__main__.py", "cli.py", "__pycache__"}
        and (path.suffix == ".py" or (path / "__init__.py").is_file() or path.name == "jsc")
    }
    assert tops - named == set(), "modules without a line in the README's layout"
    assert {name for name in named if not (package.parent / name).exists()} == set(), "layout names gone"
