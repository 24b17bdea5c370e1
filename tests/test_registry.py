"""The strategy registry: one strategy per module, plugins from entry points, clear errors."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import harness.strategies as registry
from harness.strategies import UnknownStrategy, all_strategies, builtin_modules, get

PLUGIN_DIR = Path(__file__).parent / "plugin_example"


def registered_names(module: str):
    """Names registered by a strategy module, read from its source: @register classes' ``name``."""
    tree = ast.parse(Path(registry.__file__).with_name(f"{module}.py").read_text())
    names = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(
            isinstance(d, ast.Name) and d.id == "register" for d in node.decorator_list
        ):
            names += [
                stmt.value.value
                for stmt in node.body
                if isinstance(stmt, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "name" for t in stmt.targets)
            ]
    return names


@pytest.mark.parametrize("module", builtin_modules())
def test_every_strategy_module_registers_exactly_one_name(module):
    names = registered_names(module)
    assert len(names) == 1, f"{module} registers {names}"
    strategy = all_strategies()[names[0]]
    assert strategy.__module__ == f"harness.strategies.{module}"
    assert strategy.description and sys.modules[strategy.__module__].__doc__


def test_required_strategies_are_present():
    assert {"spread", "fixed"} <= set(all_strategies())


def test_a_name_cannot_be_registered_twice():
    class Impostor(registry.Strategy):
        name = "spread"
        description = "twin"

    with pytest.raises(ValueError, match="registered twice"):
        registry.register(Impostor)
    assert get("spread").__name__ == "Spread"


def test_unknown_names_suggest_the_closest():
    with pytest.raises(UnknownStrategy, match="did you mean 'fixed'"):
        get("fixd")
    with pytest.raises(UnknownStrategy, match="did you mean 'spread'"):
        get("cached:sprad")


def test_cached_names_wrap_a_fresh_cache_each_time():
    first, second = get("cached:spread"), get("cached:spread")
    assert first.name == "cached:spread" and first.info_cache is not second.info_cache


def test_unavailable_reason(monkeypatch):
    class NeedsNothingReal(registry.Strategy):
        name = "needs-missing"
        description = "x"
        requires = ("no_such_module_here",)

    assert NeedsNothingReal.available() == (False, "needs no_such_module_here (not installed)")

    class OtherInterpreter(registry.Strategy):
        name = "elsewhere"
        description = "x"
        implementations = ("graalpy",)

    ok, reason = OtherInterpreter.available()
    assert not ok and reason.startswith("not supported on")


def test_entry_point_plugins_load_and_broken_ones_are_reported():
    env = {
        **os.environ,
        "COLUMNS": "300",
        "PYTHONPATH": os.pathsep.join([str(PLUGIN_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run([sys.executable, "-m", "harness", "list"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "example-plugin" in done.stdout and "loaded from an entry point" in done.stdout
    assert "broken-plugin" in done.stdout and "plugin failed to load: ModuleNotFoundError" in done.stdout
    verified = subprocess.run(
        [sys.executable, "-m", "harness", "verify", "--messages", "40", "--strategies", "example-plugin"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert verified.returncode == 0 and "example-plugin: ok" in verified.stdout


def test_one_builtin_strategy_is_found_without_importing_the_others():
    code = (
        "import sys\n"
        "from harness.strategies import get, all_strategies\n"
        "assert get('slots-lazy').name == 'slots-lazy'\n"
        "names = [m.split('.')[-1] for m in sys.modules if m.startswith('harness.strategies.')]\n"
        "loaded = sorted(name for name in names if not name.startswith('_'))\n"
        "print(','.join(loaded))\n"
        "assert get('msgspec').name == 'msgspec' and len(all_strategies()) > 20\n"  # a module named apart
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.strip().split(","))
    assert loaded == {"base", "cache", "slots_lazy"}
