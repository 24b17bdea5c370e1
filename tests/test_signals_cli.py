"""Ctrl-C at any moment of a command, as a terminal sends it (SIGINT to the foreground process group):
one line, ``harness COMMAND: interrupted``, exit status 130, no traceback, no report that reads as
complete, no process left behind.

The moments while the command's modules load are found with ``PYTHONPROFILEIMPORTTIME``: the
interpreter prints a line as each import completes, so the signal is sent just after a given
module has loaded, whatever the machine's speed. The first of them is the first import ``main``
makes; before ``main`` only the interpreter's own start-up and a module of a few lines run.
"""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_interrupts import interrupt_after

SCRIPT = str(Path(sys.executable).with_name("harness"))  # the installed console script
FIXTURE = Path(__file__).parent / "data" / "smoke-run"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def said(stderr):
    """The lines a command wrote on stderr, without the interpreter's import-time lines."""
    return [line for line in stderr.splitlines() if not line.startswith("import time:")]


def loaded(module):
    """The import-time line that says ``module`` has loaded."""
    return f" {module}\n"


@pytest.mark.parametrize("entry", [[SCRIPT], [sys.executable, "-m", "harness"]], ids=["script", "module"])
@pytest.mark.parametrize(
    ("module", "delay"),
    [
        ("harness.commands", 0.0),  # the first import in main
        ("harness.generate", 0.0),
        ("harness.schemas", 0.0),
        ("harness.measure.census", 0.0),  # the commands' modules load
        ("harness.runtime.resolve", 0.0),
        ("harness.generate.footprint", 0.3),  # the census has begun
    ],
)
def test_ctrl_c_while_a_command_loads_or_runs_is_one_line(tmp_path, monkeypatch, entry, module, delay):
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")
    code, stderr = interrupt_after([*entry, "census", "--messages", "20000"], tmp_path, loaded(module), 1, delay)
    assert (code, said(stderr)) == (130, ["harness census: interrupted"]), stderr[-3000:]


def processes_in(folder):
    """Ids of the processes whose working directory is ``folder`` (the report's kernel runs there)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and Path(os.readlink(entry / "cwd")) == folder.resolve():
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


@pytest.mark.integration
@linux_only
@pytest.mark.requires("nbclient", "pandas")
@pytest.mark.parametrize(
    ("notebook", "delay"),
    [("shapes", 0.0), ("shapes", 0.4), ("shapes", 1.2), ("gc_overhead", 0.1)],  # the kernel starting, running
)
def test_ctrl_c_during_a_report_is_one_line_and_leaves_no_report(tmp_path, notebook, delay):
    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run)
    marker = f"report: executing notebook {notebook} ..."
    code, stderr = interrupt_after([SCRIPT, "report", str(run)], tmp_path, marker, 1, delay)
    assert code == 130 and said(stderr)[-1] == "harness report: interrupted", stderr[-3000:]
    assert "Traceback" not in stderr and "Error" not in stderr
    assert not (run / "report.html").exists()
    assert processes_in(run) == []  # the kernel was shut down with the report


@pytest.mark.integration
@linux_only
@pytest.mark.requires("nbclient", "pandas")
@pytest.mark.parametrize(
    ("signum", "marker", "codes"),
    [
        (signal.SIGHUP, "report: executing notebook shapes ...", (129,)),
        (signal.SIGHUP, "report: notebook shapes done", (129,)),  # between notebooks
        (signal.SIGTERM, "report: executing notebook gc_overhead ...", (130, 143)),  # nbclient takes it as Ctrl-C
        (signal.SIGTERM, "report: notebook shapes done", (130, 143)),  # nbclient used to leave it at the default
    ],
)
def test_sigterm_or_sighup_during_a_report_ends_it_like_ctrl_c(tmp_path, signum, marker, codes):
    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run)
    code, stderr = interrupt_after(
        [SCRIPT, "report", str(run)], tmp_path, marker, 1, 0.2, lambda pid: os.kill(pid, signum)
    )
    assert code in codes and said(stderr)[-1] == "harness report: interrupted", (code, stderr[-3000:])
    assert "Traceback" not in stderr and not (run / "report.html").exists()
    assert processes_in(run) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_during_generate_leaves_no_temporary_file(tmp_path, monkeypatch, signum):
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")  # the import lines tell when the command runs
    argv = [SCRIPT, "generate", "--profile", "realistic", "--messages", "20000", "--out", str(tmp_path / "g.sqlite")]
    code, stderr = interrupt_after(argv, tmp_path, loaded("harness.store"), 1, 1.0, lambda pid: os.kill(pid, signum))
    assert code == 128 + signum and said(stderr)[-1] == "harness generate: interrupted", stderr[-3000:]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.requires("nbclient")
def test_a_cancelled_notebook_after_ctrl_c_is_an_interrupt(tmp_path, monkeypatch):
    """nbclient answers SIGINT by shutting the kernel down; what awaited the kernel is then
    cancelled (``asyncio.CancelledError``, no ``Exception``), which must end the report as Ctrl-C."""
    import asyncio

    from nbclient import NotebookClient

    from harness.analysis.report import execute_notebook

    interrupted = []

    def execute(client, **kwargs):
        if interrupted:
            client._async_cleanup_kernel_future = object()  # nbclient's trace of the interrupt
        raise asyncio.CancelledError()

    monkeypatch.setattr(NotebookClient, "execute", execute)
    shutil.copytree(FIXTURE, tmp_path / "run")
    notebook, error = execute_notebook("shapes", tmp_path / "run")
    assert error == "CancelledError: "  # cancelled without an interrupt: that section fails, the report goes on
    interrupted.append(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        execute_notebook("shapes", tmp_path / "run")


def test_ctrl_c_while_a_class_of_a_command_is_made_is_one_line(monkeypatch, capsys):
    """An interrupt that lands in ``__set_name__`` (a dataclass field, as a command's module loads)
    reaches ``main`` wrapped in a RuntimeError on Python 3.11: still exit 130 and one line."""
    from harness import cli

    class Interrupting:
        def __set_name__(self, owner, name):
            raise KeyboardInterrupt

    def loading(argv):
        type("Loaded", (), {"field": Interrupting()})
        return 0

    monkeypatch.setattr(cli, "_dispatch", loading)
    assert cli.main(["census"]) == 130
    assert capsys.readouterr().err == "harness census: interrupted\n"


def test_ctrl_c_that_escapes_an_exec_of_text_exits_130(tmp_path):
    """An interrupt raised inside ``exec`` of source text (dataclasses make their methods so, as a
    command loads) leaves CPython 3.11 set to kill itself with SIGINT at exit, which ``python -m``
    honours over the status main returns: main's 130 still holds."""
    (tmp_path / "entry").mkdir()
    (tmp_path / "entry" / "__main__.py").write_text(
        "import sys\n"
        "from harness import cli\n"
        "cli._dispatch = lambda argv: exec('raise KeyboardInterrupt')\n"
        "sys.exit(cli.main(['census']))\n"
    )
    done = subprocess.run([sys.executable, "-m", "entry"], cwd=tmp_path, capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (130, "harness census: interrupted\n")
