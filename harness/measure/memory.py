"""Memory: what one workload's objects cost in bytes, tracked by memray in a plain process.

memray cannot follow pyperf's worker processes, so this measurer is a plain
process of its own (``python -m harness.measure.memory --job JOB --out RESULT``).
The job's input — the dataset rows, and for ``access`` the infos it reads, for
``filter_compacted`` / ``run_loop`` the scratch session of ``size`` messages —
is prepared *before* tracking starts. Inside ``memray.Tracker`` (Python frames
only, no fork following) the workload runs so that what it built is still
alive when tracking stops:

- ``hydrate_all``: every info and part of the first ``size`` messages, built
  ``params.rounds`` times (default 1); the last result is kept.
- ``page``, ``filter_compacted``: the read ``params.rounds`` times (default 1),
  the last result kept; ``page`` includes SQLite's first-read page cache.
- ``access``: the 200 × 7 read loop over infos built outside the tracker
  (``params.rounds`` times); it builds no message, so no per-message figure.
- ``run_loop``: ``params.rounds`` (default 1) agent-loop steps, each
  appending ``params.growth`` (default 0) messages to the scratch session
  and re-reading its history; the last history is kept. SQLite's in-memory
  pages for the appended rows are inside the tracked region (the same bytes
  for every strategy).

Before each round the previous round's result is dropped, so the peak is one
result plus the temporaries of building it, not two results side by side. A
full collection runs just before tracking starts, so earlier garbage is gone.

Figures (bytes unless named): ``peak_bytes`` (memray's high-water mark of
live tracked memory), ``allocations`` (count) and ``allocated_bytes`` (sum of
every allocation's size), ``retained_bytes`` (allocations still live when
tracking stopped, from ``FileReader.get_leaked_allocation_records``: the kept
result), ``peak_bytes_per_message`` / ``retained_bytes_per_message`` (over the
messages the kept result holds), ``rss_before_bytes`` / ``rss_after_bytes``
(``/proc/self/statm`` around the tracked region) and ``max_rss_bytes``
(``getrusage`` of the whole process: interpreter, modules and dataset too), and
``rss_growth_bytes`` (after − before; per message too when memray is missing).
A "message" carries its parts: per-message bytes include them.

Known biases: by default every pymalloc block is traced
(``trace_python_allocators``: exact object bytes, about twice as slow); with
``params.trace_python_allocators: false`` memray sees only what the allocator
asks the system for, so small objects are counted by arena (256 KiB–1 MiB
granularity) and objects that fit in arenas left over from preparation are
not counted at all. The cyclic
GC stays enabled, as in the application (``params.gc_mode: disabled`` turns
it off for the tracked region); collections can lower the peak. Without memray
(PyPy, or not installed) only the RSS figures are produced and
``extra.note`` says why; RSS moves by pages and keeps freed memory, so it is
a coarse upper bound.

The capture is kept at ``params.capture`` or beside the result as
``<result stem>.memray.bin`` (``python -m memray stats|flamegraph`` read it);
a peak-memory flame graph is rendered beside the capture as ``<capture stem>.flamegraph.html``
with memray's local assets (``--no-web``; a few seconds per job whatever its size, so
``params.flamegraph: false`` skips it); both paths are in ``extra`` and, with their sizes and
hashes, in the result's ``artifacts``. memray does not fail when it cannot write its capture (disk
full, file size limit): it says so on stderr, stops tracking and leaves a short capture whose
figures look valid. So the measurer watches its stderr while tracking, and the job fails (no
result) when memray reports a write error, the capture cannot be read back or the flame graph
cannot be written whole.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from harness.measure.entry import run_measurer
from harness.measure.lifeline import adopt_children, die_with_parent
from harness.protocol.job import Figure, Job, OutputError

#: memray's allocator kinds that free memory rather than allocate it.
DEALLOCATORS = ("FREE", "PYMALLOC_FREE", "MUNMAP")
#: What memray prints on stderr when it could not write its capture (it then stops tracking).
WRITE_FAILURE = re.compile(r"Memray ERROR|Failed to write output|deactivating tracking", re.IGNORECASE)
#: A <script> or <link> tag that loads from the network: the report would not render offline.
REMOTE_ASSET = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


def memray_module() -> Tuple[Optional[Any], str]:
    """memray, or None and the reason it cannot be used here."""
    if sys.implementation.name != "cpython":
        return None, f"memray does not run on {sys.implementation.name}; RSS figures only"
    try:
        import memray
    except ImportError as error:
        return None, f"memray is not importable ({error}); RSS figures only"
    return memray, ""


def current_rss() -> Optional[int]:
    """Resident set size now, in bytes (None where /proc is missing)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def max_rss() -> Optional[int]:
    """The process's peak resident set size, in bytes."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


def messages_in(workload: str, result: Any) -> int:
    """How many messages a workload's kept result holds (0 for ``access``, which builds none)."""
    if workload == "hydrate_all":
        return len(result[0])
    if workload == "page":
        return len(result.items)
    if workload in ("filter_compacted", "run_loop"):
        return len(result)
    return 0


def capture_paths(job: Job, out: Path) -> Tuple[Path, Path]:
    out = Path(os.path.abspath(out))
    capture = Path(os.path.abspath(job.params["capture"] or out.with_name(out.stem + ".memray.bin")))
    return capture, capture.with_name(capture.stem + ".flamegraph.html")


def _run(prepared: Any, runs: int, steps: Optional[List[Dict[str, int]]]) -> Any:
    """The tracked region's body: ``runs`` calls, the previous result dropped before each, the last kept."""
    kept = None
    for _ in range(runs):
        kept = None
        kept = prepared.run()
        if steps is not None:
            steps.append({"history": prepared.session.size, "kept": len(kept)})
    return kept


@contextlib.contextmanager
def watched_stderr() -> Iterator[List[str]]:
    """Collect the lines written to file descriptor 2 (by C code too) while the block runs, and pass
    them on to stderr afterwards. They are kept in memory (memfd), not on the disk that may be full."""
    sys.stderr.flush()
    try:
        sink = os.fdopen(os.memfd_create("harness-stderr"), "w+b")
    except (AttributeError, OSError):  # no memfd here
        sink = tempfile.TemporaryFile()  # noqa: SIM115 (closed below, after fd 2 is restored)
    lines: List[str] = []
    saved = os.dup(2)
    os.dup2(sink.fileno(), 2)
    try:
        yield lines
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        sink.seek(0)
        text = sink.read().decode("utf-8", errors="replace")
        sink.close()
        sys.stderr.write(text)
        lines.extend(text.splitlines())


def capture_figures(memray: Any, capture: Path, messages: int) -> Tuple[List[Figure], Dict[str, Any]]:
    """Peak, allocation totals and retained bytes read back from a memray capture."""
    try:
        return _read_capture(memray, capture, messages)
    except (OSError, RuntimeError, ValueError) as error:
        raise OutputError(f"memray's capture {capture} cannot be read back: {error}") from None


def _read_capture(memray: Any, capture: Path, messages: int) -> Tuple[List[Figure], Dict[str, Any]]:
    with memray.FileReader(str(capture)) as reader:
        metadata = reader.metadata
        freeing = {int(getattr(memray.AllocatorType, name)) for name in DEALLOCATORS}
        count = allocated = 0
        for record in reader.get_allocation_records():
            if int(record.allocator) not in freeing:
                count += record.n_allocations
                allocated += record.size
        retained = sum(record.size for record in reader.get_leaked_allocation_records(merge_threads=True))
    peak = metadata.peak_memory
    figures = [
        Figure("peak_bytes", peak, "bytes"),
        Figure("allocations", count, "count"),
        Figure("allocated_bytes", allocated, "bytes"),
        Figure("retained_bytes", retained, "bytes"),
    ]
    if messages:
        figures += [
            Figure("peak_bytes_per_message", peak / messages, "bytes", messages),
            Figure("retained_bytes_per_message", retained / messages, "bytes", messages),
        ]
    extra = {
        "memray_total_allocations": metadata.total_allocations,
        "python_allocator": str(metadata.python_allocator),
        "trace_python_allocators": metadata.trace_python_allocators,
        "retained_from": "FileReader.get_leaked_allocation_records (live when tracking stopped)",
    }
    return figures, extra


def _memray_command(args: List[str]) -> subprocess.CompletedProcess[str]:
    """``python -m memray ARGS``, a child that dies with this measurer."""
    adopt_children()
    return subprocess.run(
        [sys.executable, "-m", "memray", *args], capture_output=True, text=True, preexec_fn=die_with_parent
    )


def flamegraph(capture: Path, html: Path) -> Dict[str, Any]:
    """Render memray's peak-memory flame graph with local assets; report whether it is offline-clean.
    OutputError (and no file left) when it cannot be written whole."""
    base = ["flamegraph", "--force", "-o", str(html)]
    done = _memray_command(base + ["--no-web", str(capture)])
    if done.returncode != 0 and "--no-web" in done.stderr:  # a memray older than the option
        done = _memray_command(base + [str(capture)])
    if done.returncode != 0 or not html.exists():
        html.unlink(missing_ok=True)
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise OutputError(f"memray flamegraph exited {done.returncode}: {last}")
    offline = REMOTE_ASSET.search(html.read_text(encoding="utf-8", errors="replace")) is None
    return {"flamegraph": str(html), "flamegraph_offline": offline}


def measure(job: Job, out: Path) -> Dict[str, Any]:
    from harness.workloads.binding import prepare

    mode, runs = job.params["gc_mode"], job.params["rounds"]
    python_allocators = job.params["trace_python_allocators"]
    memray, note = memray_module()
    capture, html = capture_paths(job, out)
    prepared = prepare(job, runs)
    try:
        steps: Optional[List[Dict[str, int]]] = [] if job.workload == "run_loop" else None
        if memray is not None:
            capture.parent.mkdir(parents=True, exist_ok=True)
            destination = memray.FileDestination(str(capture), overwrite=True)
        gc.collect()
        if mode == "disabled":
            gc.disable()
        rss_before = current_rss()
        if memray is not None:
            with (
                watched_stderr() as said,
                memray.Tracker(
                    destination=destination,
                    native_traces=False,
                    follow_fork=False,
                    trace_python_allocators=python_allocators,
                ),
            ):
                kept = _run(prepared, runs, steps)
            complaints = [line for line in said if WRITE_FAILURE.search(line)]
            if complaints:
                capture.unlink(missing_ok=True)  # short: nobody must read figures from it
                raise OutputError(f"memray could not write its capture {capture}: {complaints[0].strip()}")
        else:
            kept = _run(prepared, runs, steps)
        rss_after = current_rss()
        gc.enable()
        messages = messages_in(job.workload, kept)
        del kept
    finally:
        gc.enable()
        prepared.close()
    figures: List[Figure] = []
    extra: Dict[str, Any] = {"gc_mode": mode, "runs": runs, "messages": messages}
    artifacts: Dict[str, Path] = {}
    if steps is not None:
        extra["iterations"] = steps
    if memray is not None:
        found, more = capture_figures(memray, capture, messages)
        figures += found
        extra.update(more, capture=str(capture))
        artifacts.update(capture=capture)
        if job.params["flamegraph"]:
            extra.update(flamegraph(capture, html))
            artifacts.update(flamegraph=html)
    else:
        extra["note"] = note
    for metric, value in (("rss_before_bytes", rss_before), ("rss_after_bytes", rss_after)):
        if value is not None:
            figures.append(Figure(metric, value, "bytes"))
    if rss_before is not None and rss_after is not None:
        figures.append(Figure("rss_growth_bytes", rss_after - rss_before, "bytes"))
        if memray is None and messages:
            growth = (rss_after - rss_before) / messages
            figures.append(Figure("rss_growth_bytes_per_message", growth, "bytes", messages))
    peak_rss = max_rss()
    if peak_rss is not None:
        figures.append(Figure("max_rss_bytes", peak_rss, "bytes"))
    return {"figures": figures, "extra": extra, "artifacts": artifacts}


if __name__ == "__main__":
    sys.exit(run_measurer("memory", measure, description=__doc__))
