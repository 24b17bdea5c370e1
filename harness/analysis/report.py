"""The run report: execute the notebooks headless on a run, render one self-contained HTML file.

``build_report(run_dir)`` reads ``harness/analysis/notebooks/*.py`` (jupytext percent format), injects ``run_dir``
after each notebook's ``parameters`` cell (papermill style), executes it with nbclient in a kernel
of the running interpreter, and renders everything into ``RUN_DIR/report.html`` with nbconvert:
code hidden, images embedded as data URIs, no script / stylesheet / font / MathJax / require.js
fetched from the network. Every string that comes from the run's data or metadata is HTML-escaped.

The notebooks' display helpers (escaping, tables, figures) live in ``harness.analysis.display``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from harness.analysis.display import esc, load_frame, read_manifest
from harness.atomic import write_text
from harness.runs import files, results

NOTEBOOK_DIR = Path(__file__).resolve().parent / "notebooks"
NOTEBOOKS: Tuple[Tuple[str, str], ...] = (
    ("shapes", "Shapes"),
    ("gc_overhead", "GC overhead"),
    ("incident", "The incident, replayed"),
    ("memory", "Memory"),
    ("access_and_growth", "Access time and growth"),
    ("counts", "Instruction counts"),
    ("profiles", "Line profiles"),
    ("interpreters", "Across interpreters"),
    ("runtimes", "The question, per runtime"),
    ("polymorphism", "Read-site polymorphism"),
    ("history", "Over time"),
)
CELL_TIMEOUT = 600  # seconds per notebook cell

# A template that extends nbconvert's "lab" one without anything fetched from a CDN.
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}<style>
.harness-header table, .jp-OutputArea-output table { border-collapse: collapse; margin: 0.5em 0; }
.harness-header th, .harness-header td { border: 1px solid #ccc; padding: 2px 8px;
  text-align: left !important; vertical-align: top; }
.harness-incomplete { color: #a40000; font-weight: bold; }
</style>{%- endblock extra_css -%}
"""
_EXTERNAL = re.compile(
    r"<(script|link|img|iframe|source|video|audio|embed)\b[^>]*?\b(src|href)\s*=\s*"
    r"[\"']?\s*(https?:)?//",
    re.IGNORECASE,
)
_CSS_EXTERNAL = re.compile(r"(@import\s+(url\()?\s*[\"']?|url\(\s*[\"']?)(https?:)?//", re.IGNORECASE)


# ---------------------------------------------------------------- run data


def completeness_line(run_dir: Path, manifest: Dict[str, Any], frame: Any) -> Tuple[bool, str]:
    """(incomplete?, one sentence): status, failed / missing jobs and the measurers without results."""
    from harness.analysis.selection import missing_measurers

    counts = results.completeness(run_dir, manifest)
    status = manifest.get("status", "unknown")
    verdicts = results.verdicts(run_dir, manifest)
    lacking = sorted(
        {job.get("measurer", "?") for job in manifest.get("jobs", []) if verdicts[job.get("id")].status != "ok"}
    )
    planned = {job.get("measurer") for job in manifest.get("jobs", [])}
    absent = [name for name in missing_measurers(frame) if name in planned and name not in lacking]
    incomplete = status != "complete" or counts["failed"] > 0 or counts["missing"] > 0
    if not incomplete:
        text = f"Complete run: {counts['ok']} of {counts['planned']} jobs ok."
        if absent:
            text += f" Planned but without figures: {', '.join(absent)}."
        return bool(absent), text
    bad = counts["failed"] + counts["missing"]
    text = (
        f"Incomplete run (status {status}): {bad} of {counts['planned']} jobs lack a result "
        f"({counts['failed']} failed, {counts['missing']} missing)"
    )
    text += f"; measurers with missing jobs: {', '.join(lacking)}" if lacking else ""
    text += f"; no results at all from: {', '.join(absent)}" if absent else ""
    return True, text + "."


def _table(rows: List[Dict[str, Any]], columns: List[str]) -> str:
    head = "".join(f"<th>{esc(column)}</th>" for column in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(row.get(column, '—'))}</td>" for column in columns) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _gib(value: Any) -> str:
    try:
        return f"{float(value) / 2**30:.1f} GiB"
    except (TypeError, ValueError):
        return "?"


def environment_html(manifest: Dict[str, Any]) -> str:
    git = manifest.get("git") or {}
    dirty = git.get("dirty")
    run_rows = [
        {"item": key, "value": value}
        for key, value in (
            ("plan", manifest.get("plan") or "?"),
            ("status", manifest.get("status", "?")),
            ("started", manifest.get("started", "?")),
            ("finished", manifest.get("finished") or "—"),
            (
                "git commit",
                (git.get("commit") or "unknown") + (" (dirty)" if dirty else " (clean)" if dirty is False else ""),
            ),
            ("run fingerprint", manifest.get("fingerprint", "?")),
            ("command", " ".join(str(arg) for arg in manifest.get("argv", []))),
        )
    ]
    interpreters = []
    for tag, info in sorted((manifest.get("interpreters") or {}).items()):
        interp, machine = info.get("interpreter", {}), info.get("machine", {})
        interpreters.append(
            {
                "tag": tag,
                "implementation": interp.get("implementation", "?"),
                "version": interp.get("version", "?"),
                "build": f"{interp.get('sys_version', '?')}",
                "GC thresholds": interp.get("gc_thresholds", "?"),
                "CPU": machine.get("cpu_model", "?"),
                "cores": machine.get("cores", "?"),
                "memory": _gib(machine.get("memory_bytes")),
                "platform": machine.get("platform", "?"),
                "fingerprint": info.get("fingerprint", "?"),
            }
        )
    columns = [
        "tag",
        "implementation",
        "version",
        "build",
        "GC thresholds",
        "CPU",
        "cores",
        "memory",
        "platform",
        "fingerprint",
    ]
    parts = ['<h2 id="environment">Environment</h2>', _table(run_rows, ["item", "value"])]
    parts.append(_table(interpreters, columns) if interpreters else "<p>The manifest records no interpreter.</p>")
    datasets = [
        {
            "key": key,
            "file": Path(str(d.get("path", "?"))).name,
            "messages": d.get("messages", "?"),
            "parts": d.get("parts", "?"),
            "sha256": str(d.get("sha256", "?"))[:16],
        }
        for key, d in sorted((manifest.get("datasets") or {}).items())
    ]
    if datasets:
        parts.append(_table(datasets, ["key", "file", "messages", "parts", "sha256"]))
    return "\n".join(parts)


def answer_html(frame: Any) -> str:
    """The answer per interpreter, the rule it follows and the table (strategy × read path) beneath."""
    from harness.analysis.answer import COLUMNS, RULE, answer_rows, answers, formatted

    parts = ['<h2 id="answer">Answer</h2>']
    try:
        found = answers(frame)
    except Exception as error:  # shown on the page, never a silent gap
        found = []
        parts.append(
            f'<p class="harness-incomplete">The answer could not be computed: {esc(type(error).__name__)}: '
            f"{esc(error)}.</p>"
        )
    if not found and len(parts) == 1:
        parts.append(
            '<p class="harness-incomplete">No answer: this run has no GC-enabled rebuild (gcprobe hydrate_all, '
            "GC enabled) of spread beside another strategy, which the rule reads.</p>"
        )
    parts += [f"<p><strong>{esc(answer.text)}</strong></p>" for answer in found]
    parts.append(f'<p class="harness-rule">{esc(RULE)}</p>')
    rows = answer_rows(frame)
    if rows:
        parts.append(_table([formatted(row) for row in rows], list(COLUMNS)))
        parts.append(
            "<p>GC share / GC s, rows/s × floor (json.loads alone), peak B/msg: the rebuild the rule reads "
            "(the rebuild of cached:&lt;name&gt; is &lt;name&gt;'s). loop ms: one agent-loop iteration at the "
            "largest history; slope: its growth per 1,000 messages of history. Medians over processes, "
            "[95 % interval of the mean].</p>"
        )
    return "\n".join(parts)


def machine_html(run_dir: Path) -> str:
    """How busy the machine was while the run's jobs ran, with a warning when it was busy."""
    from harness.runs import machine

    state = machine.states(run_dir)
    jobs = list(state["jobs"].values())
    other = machine.median(job.get("other_cores") for job in jobs)
    load = machine.median(job.get("load_end") for job in jobs)
    share = machine.median(job.get("cpu_share") for job in jobs)
    if other is None and load is None:
        return "<p>The run records no machine state (other work, load, CPU time) for its jobs.</p>"
    text = f"Machine during the run ({state.get('cores') or '?'} cores), median over its jobs: "
    said = [f"other work on {other:.2f} cores beside the job" if other is not None else ""]
    said += [f"load average {load:.2f}" if load is not None else ""]
    said += [f"the job on a CPU {share:.0%} of its wall time" if share is not None else ""]
    text += "; ".join(part for part in said if part) + "."
    warning = machine.busy((job.get("other_cores") for job in jobs), state.get("cores"))
    if warning:
        return (
            f'<p class="harness-incomplete">Warning: {esc(warning)}. Figures from a busy machine are noisier '
            f"and slower; the intervals below say how much. {esc(text)}</p>"
        )
    return f"<p>{esc(text)}</p>"


def findings_html(frame: Any) -> str:
    """Each finding: its sentence, and its figures in a collapsed table; then what the run lacks."""
    from harness.analysis.findings import review
    from harness.uncertainty import METHOD

    found = review(frame)
    parts = [
        '<h2 id="findings">Findings</h2>',
        f'<p>Intervals: {esc(METHOD)}; "not established" where the '
        "interval includes no difference or a side has a single process.</p>",
    ]
    for item in found.found:
        style = ' class="harness-incomplete"' if item.failed else ""
        parts.append(f"<h3>{esc(item.title)}</h3><p{style}>{esc(item.text)}</p>")
        if item.table:
            columns = list(dict.fromkeys(column for row in item.table for column in row))
            parts.append(f"<details><summary>figures</summary>{_table(list(item.table), columns)}</details>")
    if not found.found:
        parts.append("<p>This run has no data any finding rests on.</p>")
    if found.lacking:
        missing = "; ".join(f"{finder.title} (needs {finder.needs})" for finder in found.lacking)
        parts.append(f"<p>Not in this run: {esc(missing)}.</p>")
    return "\n".join(parts)


def header_html(run_dir: Path, manifest: Dict[str, Any], frame: Any) -> str:
    incomplete, line = completeness_line(run_dir, manifest, frame)
    parts = [
        f'<h1 id="report">shape-harness report: {esc(Path(run_dir).name)}</h1>',
        f'<p class="harness-completeness{" harness-incomplete" if incomplete else ""}">{esc(line)}</p>',
        machine_html(run_dir),
        answer_html(frame),
        findings_html(frame),
        environment_html(manifest),
    ]
    return '<div class="harness-header">' + "\n".join(parts) + "</div>"


# ---------------------------------------------------------------- notebook execution


def _kernel_manager_class() -> Any:
    """A kernel manager class whose ``python3`` kernel is the running interpreter (e.g. the venv's),
    whatever kernelspecs are installed elsewhere."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class HereSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python {sys.version.split()[0]}",
                language="python",
                resource_dir=str(NOTEBOOK_DIR),
            )

    class HereKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _here_spec_manager(self) -> KernelSpecManager:
            return HereSpecs(data_dir=self.data_dir)

    return HereKernelManager


def read_notebook(name: str, run_dir: Path) -> Any:
    """A notebook from its jupytext source, with ``run_dir`` injected after its parameters cell."""
    import jupytext
    import nbformat

    notebook = jupytext.read(NOTEBOOK_DIR / f"{name}.py")
    injected = nbformat.v4.new_code_cell(
        f"run_dir = {str(Path(run_dir).resolve())!r}", metadata={"tags": ["injected-parameters"]}
    )
    index = next(
        (i for i, cell in enumerate(notebook.cells) if "parameters" in cell.get("metadata", {}).get("tags", [])),
        -1,
    )
    notebook.cells.insert(index + 1, injected)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def shared_kernel() -> Any:
    """A kernel manager for the running interpreter's kernel, to execute several notebooks in one
    kernel (its start and the imports of pandas and matplotlib are paid once)."""
    return _kernel_manager_class()(kernel_name="python3")


def execute_notebook(name: str, run_dir: Path, kernel: Any = None) -> Tuple[Any, Optional[str]]:
    """The executed notebook and None, or the partly executed one and the error's last line;
    KeyboardInterrupt when Ctrl-C arrived meanwhile (``_stop_if_interrupted``).

    With ``kernel`` (from ``shared_kernel``) the notebook runs in that kernel, after a ``%reset -f``
    that empties the namespace the previous notebook left, so each notebook still sees only what it
    defines; without, in a kernel of its own."""
    import asyncio
    import warnings

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = read_notebook(name, run_dir)
    if kernel is not None:
        reset = nbformat.v4.new_code_cell("%reset -f", metadata={"tags": ["injected-parameters"]})
        notebook.cells.insert(0, reset)
    client = NotebookClient(
        notebook,
        km=kernel,
        kernel_manager_class=_kernel_manager_class(),
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(run_dir)}},
    )
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            client.execute(stderr=subprocess.DEVNULL)  # the kernel's own chatter (TCP warning) is noise here
        except CellExecutionError as error:
            _stop_if_interrupted(client)
            lines = [line for line in str(error).strip().splitlines() if line.strip()]
            return notebook, re.sub(r"\x1b\[[0-9;]*m", "", lines[-1] if lines else "error")
        except (Exception, asyncio.CancelledError) as error:  # a kernel that does not start must not
            _stop_if_interrupted(client)  # lose the rest of the report; Ctrl-C cancels what awaits it
            return notebook, f"{type(error).__name__}: {error}"
        finally:
            if kernel is not None and client.kc is not None:
                client.kc.stop_channels()
            for signum, handler in handlers.items():  # nbclient leaves them at the default: killed outright
                signal.signal(signum, handler)
    _stop_if_interrupted(client)
    return notebook, None


def _stop_if_interrupted(client: Any) -> None:
    """KeyboardInterrupt when Ctrl-C arrived while the notebook ran. nbclient takes SIGINT over
    while it executes: it shuts the kernel down (the notebook then fails with some other error, or
    what awaited the kernel is cancelled: ``asyncio.CancelledError``, no ``Exception``) and keeps
    the shutdown's future, its only trace of the interrupt."""
    if getattr(client, "_async_cleanup_kernel_future", None) is not None:
        raise KeyboardInterrupt


# ---------------------------------------------------------------- rendering


def external_urls(text: str) -> List[str]:
    """script/link/img/... tags (and CSS imports/urls) that would fetch from the network."""
    return [match.group(0) for match in _EXTERNAL.finditer(text)] + [
        match.group(0) for match in _CSS_EXTERNAL.finditer(text)
    ]


def strip_external(text: str) -> str:
    """Remove any tag that would fetch a resource from the network (belt and braces)."""
    text = re.sub(r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(https?:)?//[^>]*>\s*</script>", "", text, flags=re.I)
    text = re.sub(
        r"<(link|img|iframe|source|video|audio|embed)\b[^>]*\b(src|href)\s*=\s*[\"']?\s*(https?:)?//"
        r"[^>]*>",
        "",
        text,
        flags=re.I,
    )
    text = re.sub(r"/\*(?:(?!\*/).)*?https?://.*?\*/", "", text, flags=re.S)  # CSS credits comments
    return _CSS_EXTERNAL.sub(lambda m: m.group(1) + "about:blank#", text)


def render(notebook: Any, title: str) -> str:
    import warnings

    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    notebook.metadata["title"] = title
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        exporter = HTMLExporter(
            template_name="lab",
            extra_loaders=[DictLoader({"harness.html.j2": _TEMPLATE})],
            template_file="harness.html.j2",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
            anchor_link_text="",
        )
        body, _ = exporter.from_notebook_node(notebook)
    body = strip_external(body)
    left = external_urls(body)
    if left:
        raise RuntimeError(f"report still references the network: {left[:3]}")
    return body


def _html_cell(fragment: str) -> Any:
    import nbformat

    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": fragment})]
    return cell


def build_report(run_dir: Path, say: Any = None) -> Path:
    """Execute every notebook on ``run_dir`` and write ``RUN_DIR/report.html``; returns its path."""
    import nbformat

    run_dir = Path(run_dir)
    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    manifest = read_manifest(run_dir)  # RunError when run_dir is not a run
    began = time.monotonic()
    frame = load_frame(run_dir)
    _check_writable(run_dir)
    combined = nbformat.v4.new_notebook()
    combined.cells.append(_html_cell(header_html(run_dir, manifest, frame)))
    _execute_all(run_dir, combined, say)
    page = render(combined, f"shape-harness report: {run_dir.name}")
    path = run_dir / "report.html"
    write_text(path, page)
    say(f"report: wrote {path} in {time.monotonic() - began:.1f} s")
    return path


def _check_writable(run_dir: Path) -> None:
    """Make ``RUN_DIR/figures``; RunError in one line unless the report and its figures can be
    written, found before any notebook runs (each would fail on its first figure)."""
    figures = run_dir / "figures"
    if figures.exists() and not figures.is_dir():
        raise files.RunError(f"cannot write the report into {run_dir}: {figures} is not a directory")
    figures.mkdir(exist_ok=True)  # OSError when run_dir cannot be written
    for folder in (run_dir, figures):
        if not os.access(folder, os.W_OK | os.X_OK):
            raise files.RunError(f"cannot write the report into {run_dir}: {folder} is not writable")


def _execute_all(run_dir: Path, combined: Any, say: Any) -> None:
    """Every notebook's cells into ``combined``, executed one after the other in one kernel (a new
    one after a notebook that left it dead); a section that fails says why."""
    from jupyter_client.utils import run_sync

    kernel = shared_kernel()
    try:
        for name, title in NOTEBOOKS:
            if kernel.has_kernel and not run_sync(kernel.is_alive)():
                kernel = shared_kernel()
            _execute_section(name, title, run_dir, combined, kernel, say)
    finally:
        if kernel.has_kernel:
            run_sync(kernel.shutdown_kernel)(now=True)


def _execute_section(name: str, title: str, run_dir: Path, combined: Any, kernel: Any, say: Any) -> None:
    """One notebook's cells into ``combined``, or a sentence saying why the section is missing."""
    if not (NOTEBOOK_DIR / f"{name}.py").is_file():
        text = (
            f"<h2>{esc(title)}</h2><p>Notebook {esc(name)}.py is not installed with this harness; section omitted.</p>"
        )
        combined.cells.append(_html_cell(text))
        return
    say(f"report: executing notebook {name} ...")
    started = time.monotonic()
    notebook, error = execute_notebook(name, run_dir, kernel)
    say(f"report: notebook {name} {'failed: ' + error if error else 'done'} ({time.monotonic() - started:.1f} s)")
    if error:
        text = f'<h2>{esc(title)}</h2><p class="harness-incomplete">This section failed to execute: {esc(error)}</p>'
        combined.cells.append(_html_cell(text))
        return
    combined.cells.extend(
        cell for cell in notebook.cells if "injected-parameters" not in cell.get("metadata", {}).get("tags", [])
    )
