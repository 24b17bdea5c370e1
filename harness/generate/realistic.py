"""Profile ``realistic``: opencode message storage with the variety production data has.

It models what SCHEMA.md (§1-§4, §6, §7) and SEED.md say stored rows look like:

- several sessions, one long one holding ``long_session_share`` of the messages; ids in
  opencode's ascending format (prefix, 12 hex time digits, 14 base62 chars) from one
  dataset-wide clock that advances at least 1 ms per id, so ids sort in creation order;
- turns: a user message (prompt text, synthetic text, file / agent / subtask parts) and
  1..n assistant steps (``parentID`` = the user), each with step-start, reasoning, text,
  tool parts (per-tool ``input`` and ``metadata`` keys, states by status), step-finish and
  rare patch / snapshot / retry parts; user ``summary`` written after the turn;
- compaction turns (user with a ``compaction`` part, then a ``summary: true`` assistant)
  valid for ``filterCompacted``; pruning marks older completed tool outputs ``time.compacted``;
- records keyed by data, as opencode writes them: ``edit`` / ``write`` results carry the LSP's
  diagnostics keyed by file path (every file the session's LSP has opened so far, from a
  per-session pool of ``session_paths`` paths), user infos' ``tools`` are keyed by tool name
  (mostly the task tool's subagent form);
- key-order variety: each session has a writer version (:data:`~.writers.WRITERS`)
  fixing the base key order of infos, parts and nested objects; keys set by later events
  (``finish``, ``error``, ``structured`` and the user ``summary``) are appended in a drawn
  order; legacy keys (user ``mode``, assistant ``system`` on older writers) appear on some rows;
- older writers: the oldest ``older_writers`` share of the messages (whole turns, in generation
  order, which is the clock's: a database's old sessions, and the session an upgrade came in) is
  written as the writers before today's schema wrote it, which opencode's JSON migration copied
  unvalidated: users ``{role, time}`` alone; assistants without ``mode`` / ``agent`` / ``finish``,
  with a ``system`` list and ``parentID`` absent or null; step-start ``{type}``, step-finish without
  ``reason``; a pending tool state ``{status}`` alone, other states' times maybe without ``start``;
  now and then a text cut inside an emoji (a lone surrogate); no compaction, retry parts or summaries.

Legacy keys, which opencode's fixed builders drop (SCHEMA §4): see :data:`LEGACY_INFO_KEYS`.

Known deviations from real data: the writer versions' key orders are plausible, not
recovered from opencode's history; sessions run one after another on one clock (never
interleaved); text is sliced from one word pool; sizes and frequencies marked ``?`` in
SCHEMA §7 are guesses; one step per assistant message; no child (subagent) sessions.
Only :class:`harness.rng.Lcg` supplies randomness, so a (seed, messages, params)
triple always gives the same rows.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from harness.generate.realistic_params import RealisticParams
from harness.generate.realistic_parts import (
    AGENT_CUM,
    AGENTS,
    EDITING_TOOLS,
    ERRORS,
    LATE_SYNTHETIC,
    OLDER_NULL_PARENT,
    T0,
    Clock,
    Ctx,
    agent_data,
    cumulative,
    error,
    file_data,
    filediff,
    pick,
    retry_data,
    shuffled,
    simple_part,
    step_finish,
    subtask_data,
    timed_text,
    tool_part,
    user_tools,
)
from harness.generate.writers import CLIENTS
from harness.rng import Lcg

Rows = List[Tuple[dict, List[dict]]]

#: Keys outside SCHEMA §1 that older writers stored; opencode's fixed builders drop them.
LEGACY_INFO_KEYS: Dict[str, Tuple[str, ...]] = {"user": ("mode",), "assistant": ("system",)}
PRUNE_PROTECT = 6  # newest completed tool outputs a prune leaves alone
_DEFAULT_PARAMS = RealisticParams()
_ABORTED = next(kind for kind in ERRORS if kind.name == "MessageAbortedError")


def _session_sizes(rng: Lcg, messages: int, p: RealisticParams) -> List[int]:
    """Messages per session: the long session (at a drawn position) and draw-weighted others."""
    if p.sessions == 1:
        return [messages]
    long = int(messages * p.long_session_share + 0.5)
    rest = messages - long
    weights = [0.1 + rng.draw() for _ in range(p.sessions - 1)]
    total = sum(weights)
    sizes = [int(rest * w / total) for w in weights]
    for i in range(rest - sum(sizes)):
        sizes[i] += 1
    sizes.insert(rng.integer(p.sessions), long)
    return sizes


def _row(message_id: str, c: Ctx, created: int, data: dict) -> dict:
    return {
        "id": message_id,
        "session_id": c.session_id,
        "time_created": created,
        "time_updated": created,
        "data": data,
    }


class _Session:
    """Generates one session's turns into ``out``."""

    def __init__(self, c: Ctx, out: Rows) -> None:
        self.c, self.out = c, out
        self.agent = AGENTS[pick(c.rng, AGENT_CUM)] if c.rng.below(0.3) else "build"
        self.model = c.rng.choice(c.provider.models)
        self.users: List[str] = []  # regular user ids since the last compaction
        self.completed: List[Tuple[dict, dict]] = []  # (row, state) of completed tools since then
        self.since = 0  # messages since the last compaction
        self.gap = self._compaction_gap()

    def _compaction_gap(self) -> int:
        """Messages until the next compaction: compaction_every jittered 0.5x..1.5x (0 = never)."""
        every = self.c.p.compaction_every
        return max(2, int(every * (0.5 + self.c.rng.draw()))) if every else 0

    def run(self, size: int, old: int) -> int:
        """``size`` messages; whole turns are an older writer's while ``old`` messages of the
        dataset remain to be (never a compaction). Returns how many remain."""
        c = self.c
        while size:
            c.old = old > 0
            if not c.old and self.gap and self.since >= self.gap and size >= 2:
                self._compaction()
                size -= 2
                self.since = 0
                self.gap = self._compaction_gap()
                continue
            steps = min(size - 1, 1 + int(c.rng.draw() * 2 * (c.p.avg_steps - 1) + 0.5))
            self._turn(steps)
            size -= 1 + steps
            self.since += 1 + steps
            if c.old:
                old -= 1 + steps
        return max(0, old)

    # --- user ---------------------------------------------------------------------------------------

    def _user(self, agent: str) -> Tuple[dict, dict]:
        """A user row (info in writer order) and its model."""
        c, p, rng = self.c, self.c.p, self.c.rng
        mid = c.new_id("msg")
        created = c.clock.t
        model = {"providerID": c.provider.id, "modelID": self.model}
        if rng.below(p.variant_prob):
            model["variant"] = rng.choice(("high", "low", "max"))
        values = {"role": "user", "time": {"created": created}, "agent": agent, "model": model}
        if rng.below(p.legacy_key_prob):
            values["mode"] = agent
        if rng.below(p.user_tools_prob):
            values["tools"] = user_tools(c)
        if rng.below(p.user_system_prob):
            values["system"] = c.text(40, 1200)
        if rng.below(p.user_format_prob):
            values["format"] = {"type": "text"} if rng.below(0.3) else self._json_format()
        if c.old:  # the earliest users: role and time alone
            values = {"role": "user", "time": values["time"]}
        data = {key: values[key] for key in c.writer.user if key in values}
        return _row(mid, c, created, data), model

    def _json_format(self) -> dict:
        fmt: Dict[str, Any] = {
            "type": "json_schema",
            "schema": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]},
        }
        if self.c.rng.below(0.5):
            fmt["retryCount"] = self.c.rng.integer(4)
        return fmt

    def _user_parts(self, row: dict) -> List[dict]:
        """Prompt text, then maybe files, synthetic text, agent and subtask parts (in the client's key orders)."""
        c, p, rng = self.c, self.c.p, self.c.rng
        parts: List[dict] = []
        client = CLIENTS[pick(rng, cumulative(p.client_weights))]
        text: Dict[str, Any] = {"type": "text", "text": c.text(20, 1500)}
        if rng.below(p.ignored_prob):
            text["ignored"] = True
        parts.append(simple_part(c, row, text, orders=client))
        if rng.below(p.file_part_prob):
            parts.extend(simple_part(c, row, file_data(c), orders=client) for _ in range(1 + rng.integer(2)))
        if rng.below(p.synthetic_text_prob):
            # two code paths build synthetic text: with the flag up front or set after the text
            synthetic = {"type": "text", "synthetic": True, "text": c.text(30, 1200)}
            parts.append(simple_part(c, row, synthetic, LATE_SYNTHETIC if rng.below(0.5) else ()))
        if rng.below(p.agent_part_prob):
            parts.append(simple_part(c, row, agent_data(c), orders=client))
        if rng.below(p.subtask_part_prob):
            parts.append(simple_part(c, row, subtask_data(c), orders=client))
        return parts

    def _summary(self, row: dict) -> None:
        """The user ``summary`` opencode writes after the turn (appended: a late key)."""
        c, rng = self.c, self.c.rng
        summary: dict = {}
        if rng.below(c.p.summary_title_prob):
            summary["title"] = c.text(10, 80)
        if rng.below(c.p.summary_body_prob):
            summary["body"] = c.text(40, 600)
        summary["diffs"] = [filediff(c) for _ in range(rng.integer(3))]
        row["data"]["summary"] = summary
        row["time_updated"] = c.tick(1, 500)

    # --- assistant ----------------------------------------------------------------------------------

    def _assistant(
        self, parent: str, model: dict, agent: str, final: bool, structured: bool = False, compaction: bool = False
    ) -> None:
        """One assistant step; only a turn's last step can be interrupted or carry an error."""
        c, p, rng = self.c, self.c.p, self.c.rng
        row = _row(c.new_id("msg"), c, c.clock.t, {})
        interrupted = final and not compaction and rng.below(p.interrupt_prob)
        parts, reasoning, tools = self._assistant_parts(row, final, interrupted, compaction)
        late = self._late_keys(final, interrupted, tools, structured, compaction)
        tokens = c.tokens(reasoning)
        cost = 0 if c.provider.id == "opencode" else round(tokens["input"] * 3e-6 + tokens["output"] * 1.5e-5, 6)
        if not interrupted:
            step_tokens = dict(tokens, cache=dict(tokens["cache"]))
            parts.append(step_finish(c, row, str(late.get("finish", "stop")), step_tokens, cost))
            if rng.below(p.snapshot_part_prob):
                parts.append(simple_part(c, row, {"type": "snapshot", "snapshot": c.hex(40)}))
        time = {"created": row["time_created"]}
        if not interrupted or "error" in late:
            time["completed"] = c.tick(1, 300)
        values = {
            "role": "assistant",
            "time": time,
            "parentID": parent,
            "modelID": model["modelID"],
            "providerID": model["providerID"],
            "mode": agent,
            "agent": agent,
            "path": {"cwd": c.cwd, "root": c.root},
            "cost": cost,
            "tokens": tokens,
        }
        if "variant" in model:
            values["variant"] = model["variant"]
        if compaction:
            values["summary"] = True
        if "system" in c.writer.assistant and (c.old or rng.below(p.legacy_key_prob)):
            values["system"] = [c.text(40, 300)]
        if c.old:
            self._older_assistant(values, late)
        data = {key: values[key] for key in c.writer.assistant if key in values}
        for key in shuffled(rng, list(late)):  # set by later events, in the order they happened
            data[key] = late[key]
        row["data"] = data
        row["time_updated"] = c.clock.t
        self.out.append((row, parts))

    def _older_assistant(self, values: Dict[str, object], late: Dict[str, object]) -> None:
        """What an older writer left out of an assistant: ``mode``, ``agent``, ``variant``, the late
        ``finish`` and ``structured``; its ``parentID`` is absent or null."""
        for key in ("mode", "agent", "variant"):
            values.pop(key, None)
        for key in ("finish", "structured"):
            late.pop(key, None)
        if self.c.rng.below(OLDER_NULL_PARENT):
            values["parentID"] = None
        else:
            del values["parentID"]

    def _late_keys(
        self, final: bool, interrupted: bool, tools: bool, structured: bool, compaction: bool
    ) -> Dict[str, object]:
        """The assistant keys opencode sets after creation: finish, error, structured."""
        c, p, rng = self.c, self.c.p, self.c.rng
        late: Dict[str, object] = {}
        if compaction:
            if rng.below(p.compaction_error_prob):
                late["error"] = error(c)
            else:
                late["finish"] = "stop"
        elif interrupted:
            if rng.below(0.5):  # aborted (else: the process died)
                late["error"] = error(c, _ABORTED)
        else:
            if final and rng.below(p.assistant_error_prob):
                late["error"] = error(c)
            if "error" not in late or rng.below(0.3):
                late["finish"] = "tool-calls" if tools else "length" if rng.below(p.length_finish_prob) else "stop"
            if structured and final and rng.below(p.structured_prob):
                late["structured"] = {"answer": c.text(5, 200)}
        return late

    def _assistant_parts(
        self, row: dict, final: bool, interrupted: bool, compaction: bool
    ) -> Tuple[List[dict], bool, bool]:
        """Parts up to (not including) step-finish; returns (parts, has reasoning, has tools).

        A step has retry parts (rare), step-start, then 0..2*avg_parts-2 content slots: maybe reasoning
        first, then tool calls (text on a turn's last step); an interrupted step leaves its last part open.
        """
        c, p, rng = self.c, self.c.p, self.c.rng
        parts: List[dict] = []
        if not c.old and rng.below(p.retry_prob):
            parts.extend(simple_part(c, row, retry_data(c, attempt)) for attempt in range(1, 2 + rng.integer(3)))
        start = {"type": "step-start"}
        if c.snapshots and not c.old:
            start["snapshot"] = c.hex(40)
        parts.append(simple_part(c, row, start))
        if compaction:
            parts.append(timed_text(c, row, "text", False, 400, 4000))
            return parts, False, False
        slots = max(0, rng.integer(int(2 * p.avg_parts) + 1) - 2)
        reasoning = slots > 0 and rng.below(p.reasoning_prob)
        calls_tools = not final or interrupted
        edited = False
        tools = 0
        for slot in range(slots):
            last_open = interrupted and slot == slots - 1
            if slot == 0 and reasoning:
                parts.append(timed_text(c, row, "reasoning", last_open, 0, 1500))
            elif not calls_tools or (slot <= 1 and rng.below(0.3)):
                parts.append(timed_text(c, row, "text", last_open, 5, 2000))
            else:
                status = (
                    rng.choice(("pending", "running", "error"))
                    if last_open
                    else "error"
                    if rng.below(p.tool_error_prob)
                    else "completed"
                )
                part, name, state = tool_part(c, row, status, last_open)
                parts.append(part)
                tools += 1
                edited = edited or name in EDITING_TOOLS
                if status == "completed":
                    self.completed.append((part, state))
        if edited and c.snapshots and not interrupted and rng.below(p.patch_prob):
            files = [c.path() for _ in range(1 + rng.integer(3))]
            parts.append(simple_part(c, row, {"type": "patch", "hash": c.hex(40), "files": files}))
        return parts, reasoning, tools > 0

    # --- turns --------------------------------------------------------------------------------------

    def _turn(self, steps: int) -> None:
        c, rng = self.c, self.c.rng
        if rng.below(c.p.writer_switch_prob):
            c.switch_writer()
        if rng.below(c.p.model_switch_prob):  # the user picks another model; it stays for the session
            c.switch_provider()
            self.model = rng.choice(c.provider.models)
        agent = AGENTS[pick(rng, AGENT_CUM)] if rng.below(0.1) else self.agent
        c.tick(2_000, 600_000)  # the user thinks
        row, model = self._user(agent)
        self.out.append((row, self._user_parts(row)))
        self.users.append(row["id"])
        structured = row["data"].get("format", {}).get("type") == "json_schema"
        for step in range(steps):
            self._assistant(row["id"], model, agent, step == steps - 1, structured)
        if steps and not c.old and rng.below(c.p.user_summary_prob):
            self._summary(row)

    def _compaction(self) -> None:
        """A compaction user message and its summary assistant; prunes older tool outputs."""
        c, p, rng = self.c, self.c.p, self.c.rng
        c.tick(1_000, 60_000)
        row, model = self._user(self.agent)
        data: dict = {"type": "compaction", "auto": rng.below(p.auto_compaction_prob)}
        if data["auto"] and rng.below(p.overflow_prob):
            data["overflow"] = True
        if c.writer.newer and self.users and rng.below(p.tail_start_prob):
            data["tail_start_id"] = self.users[-1 - rng.integer(min(3, len(self.users)))]
        self.out.append((row, [simple_part(c, row, data)]))
        self._assistant(row["id"], model, "compaction", True, compaction=True)
        if rng.below(p.prune_prob):
            now = c.tick(1, 1_000)
            for part, state in self.completed[:-PRUNE_PROTECT]:
                state["time"]["compacted"] = now
                part["time_updated"] = now
        self.users = []
        self.completed = []


def session_sizes(seed: int, messages: int, params: RealisticParams) -> List[int]:
    """Messages per session of a generation, in generation order (its first draws, replayed)."""
    return _session_sizes(Lcg(seed), messages, params)


def filled_sessions(seed: int, messages: int, params: RealisticParams) -> int:
    """How many sessions get at least one message."""
    return sum(1 for size in session_sizes(seed, messages, params) if size)


def generate_realistic(seed: int, messages: int, params: RealisticParams = _DEFAULT_PARAMS) -> Tuple[Rows, int]:
    """All message rows with their part rows in generation order, and the number of LCG draws.

    Sessions come one after another, each in chronological order. ``messages`` is the total over
    all sessions; sessions that get no messages (``messages < sessions``) are skipped.
    """
    if isinstance(messages, bool) or not isinstance(messages, int) or messages < 0:
        raise ValueError(f"messages must be an integer >= 0, got {messages!r}")
    rng = Lcg(seed)
    clock = Clock(T0)
    out: Rows = []
    old = int(messages * params.older_writers + 0.5)
    for size in _session_sizes(rng, messages, params):
        if size:
            old = _Session(Ctx(rng, params, clock), out).run(size, old)
    return out, rng.calls
