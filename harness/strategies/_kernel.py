"""Code generated for the strategies (not a strategy: the registry skips ``_`` modules): the access
loops, and the helper that compiles every generated function under a file name of its own.

``access_kernel``: the access loop over a schema's reads (``Schema.access``; opencode's are the seed's
seven properties, read from every info 200 times). Each strategy gets its own copy of the loop (its
own code object, so its own inline caches on CPython 3.11+) with each read written the way users of
its objects write it: ``o.k`` / ``o["k"]`` where every object has the field, ``getattr(o, "k", None)``
/ ``o.get("k")`` where some lack it, ``o[3]`` for a tuple of fixed positions (``index_kernel``; JSON
text read as ``loads(o[3])``) — no helper call per read. ``len`` adds a length, ``add`` a
number, ``truth`` one for a truthy value; ``len`` and ``add`` skip None, except that opencode's
seed loop takes the length of every info's role (rows without one are refused before it runs), so
there the role is read directly and its length taken unchecked. Every copy makes the same additions
in the same order, so all strategies return the same float on the same rows.

``local_kernel``: the control of every kernel, the same loop on values already in locals.

``open_map_kernel``: ``len(p.state.input)`` of every tool part of opencode's — one open map read per
object, the read a lazy strategy pays a decode for (opencode's loop reads every tool input when it
builds the model's messages); an older writer's pending state (``{status}`` alone) has none, which
is skipped. Its syntax depends on how a strategy holds a part and its state (``TOOL_INPUT_READS``):
``.get`` where the state is a dict, as ``input`` may be absent.
"""

from __future__ import annotations

import json
import linecache
import types
from typing import Any, Callable, Dict, Optional, Sequence

from harness.schemas.codegen import attribute
from harness.schemas.model import Schema
from harness.schemas.stored import is_opencode

Kernel = Callable[[Sequence[Any], int], float]
#: Whether every object a strategy builds holds a field (then it is read directly).
Present = Callable[[str], bool]

#: Read syntaxes: a field every object holds, then one some objects lack (read with a default).
READS: Dict[str, Dict[bool, str]] = {
    "attributes": {True: "o.{attr}", False: "getattr(o, {attr!r}, None)"},
    "items": {True: "o[{key!r}]", False: "o.get({key!r})"},
}
#: Names of the loop itself, which a local of the control must not take.
_LOOP_NAMES = ("access", "acc", "infos", "iterations", "o", "v", "_", "len", "range")


def compiled(source: str, where: str, label: str, namespace: Dict[str, Any], name: str) -> Callable[..., Any]:
    """``name`` defined by ``source``, executed with the globals ``namespace``, compiled under the file
    name ``<where>[<label>]`` registered with ``linecache`` (as dataclasses and attrs do for generated
    code) so that tracebacks and line profilers show its lines; the name is path-like, not ``<...>``,
    because profilers skip ``<...>`` pseudo-files. The globals are a module's: PyPy's JIT folds a
    module's global reads into its traces, not a plain dict's (about 4 % of a hydrator's time)."""
    filename = f"{where}[{label}]"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType(filename)
    module.__dict__.update(namespace)
    exec(compile(source, filename, "exec"), module.__dict__)
    return module.__dict__[name]


def _loop(
    schema: Schema, each: str, reads: Sequence[str], label: str, namespace: Optional[Dict[str, Any]] = None
) -> Kernel:
    """The access loop with ``for <each> in infos`` and the read of each of ``schema.access`` (whose
    code may use the names of ``namespace``)."""
    unchecked = is_opencode(schema)  # the seed's loop: every role has a length (checked beforehand)
    lines = []
    for access, read in zip(schema.access, reads):
        if access.operation == "truth":
            lines.append(f"            if {read}:\n                acc += 1")
        elif access.operation == "len" and unchecked:
            lines.append(f"            acc += len({read})")
        else:
            added = "len(v)" if access.operation == "len" else "v"
            lines.append(f"            v = {read}\n            if v is not None:\n                acc += {added}")
    body = "\n".join(lines) or "            pass"
    source = (
        "def access(infos, iterations):\n    acc = 0.0\n    for _ in range(iterations):\n"
        f"        for {each} in infos:\n{body}\n    return acc\n"
    )
    return compiled(source, __file__, label, namespace or {}, "access")


def access_kernel(schema: Schema, syntax: str, present: Present) -> Kernel:
    """The access loop reading ``o`` in ``syntax`` (``READS``): directly the fields every object holds
    (``present``) and, in opencode's seed loop, the role; the others with a default."""
    unchecked = is_opencode(schema)
    reads, defaulted = [], []
    for access in schema.access:
        direct = present(access.field) or (unchecked and access.operation == "len")
        reads.append(READS[syntax][direct].format(attr=attribute(access.field), key=access.field))
        if not direct:
            defaulted.append(access.field)
    label = f"{schema.name}: {syntax}, default for {', '.join(defaulted) or 'none'}"
    return _loop(schema, "o", reads, label)


#: A read at a constant index (``o[3]``), and one of JSON text decoded on each read.
INDEX_READS: Dict[bool, str] = {False: "o[{at}]", True: "(None if o[{at}] is None else loads(o[{at}]))"}


def index_kernel(schema: Schema, position: Callable[[str], int], decoded: Present) -> Kernel:
    """The access loop over tuples: each field read at its ``position`` (every object has one, None
    where its kind lacks the field), JSON text decoded where ``decoded``."""
    reads = [INDEX_READS[decoded(field)].format(at=position(field)) for field in schema.access_fields()]
    label = f"{schema.name}: indices, decoded {', '.join(filter(decoded, schema.access_fields())) or 'none'}"
    return _loop(schema, "o", reads, label, {"loads": json.loads})


def local_kernel(schema: Schema) -> Kernel:
    """The control of every kernel: the same loop, the same additions in the same order, on the
    values of ``schema.access`` unpacked from a tuple into locals (``for role, cost, ... in infos``),
    so no read at all. A strategy's time minus this one's is the cost of its reads (net of the
    arithmetic); the unpacking (one ``UNPACK_SEQUENCE`` and a local store per value) stays in the
    control, so the net figure understates each read by a fraction of a nanosecond."""
    taken = set(_LOOP_NAMES)
    names = [attribute(field, taken) for field in schema.access_fields()]
    each = ", ".join(names) + ("," if len(names) == 1 else "")
    return _loop(schema, each or "_", names, f"{schema.name}: locals, the control")


#: How a strategy's objects reach a tool part's ``state.input``: dicts all the way (``items``), an
#: object whose state is a dict (``attribute-item``) or an object whose state is an object too.
TOOL_INPUT_READS: Dict[str, str] = {
    "items": 'o["state"].get("input")',
    "attribute-item": 'o.state.get("input")',
    "attributes": "o.state.input",
    "indices": INDEX_READS[True],
}

_OPEN_MAP_TEMPLATE = """\
def access(parts, iterations):
    acc = 0.0
    for _ in range(iterations):
        for o in parts:
            found = {read}
            if found is not None:
                acc += len(found)
    return acc
"""


def open_map_kernel(syntax: str, **positions: int) -> Kernel:
    """The ``open-map`` loop over tool parts, reading ``state.input`` with ``TOOL_INPUT_READS[syntax]``
    (``indices``: JSON text at position ``at``, decoded)."""
    read = TOOL_INPUT_READS[syntax].format(**positions)
    label = f"open-map, {syntax}" + "".join(f", {key} {at}" for key, at in positions.items())
    return compiled(_OPEN_MAP_TEMPLATE.format(read=read), __file__, label, {"loads": json.loads}, "access")
