"""The knobs of the ``realistic`` profile (:mod:`harness.generate.realistic` says what it models)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Tuple

from harness.generate.writers import CLIENTS, WRITERS

#: Parameters that are probabilities or shares in [0, 1], by how their names end.
_SHARES = ("_prob", "_share", "older_writers")
#: Bounds of the parameters that size a generation's loops (a session's draws, its path pool).
MAX_SESSIONS = 10_000
MAX_SESSION_PATHS = 4096


@dataclass(frozen=True)
class RealisticParams:
    """Every knob of the realistic profile; ``*_prob`` fields are probabilities in [0, 1].

    Use ``dataclasses.replace(params, field=value)`` to sweep; ``dataclasses.asdict`` is JSON-ready.
    """

    sessions: int = 8  # sessions in a dataset; with fewer messages than sessions some stay empty and are skipped
    long_session_share: float = 0.5  # share of all messages in the one long session (rest split by draws)
    avg_parts: float = 4.0  # mean parts per assistant message (uniform 0..2*avg_parts); extras on top
    avg_steps: float = 2.5  # mean assistant messages per turn (>= 1)
    text_scale: float = 1.0  # multiplies every drawn text / output length
    writer_weights: Tuple[float, ...] = (0.15, 0.25, 0.3, 0.3)  # weight per writer version, oldest first
    client_weights: Tuple[float, ...] = (0.6, 0.2, 0.1, 0.1)  # weight per client (TUI, web, SDK, ACP) sending a prompt
    writer_switch_prob: float = 0.01  # before a turn, the writer version is redrawn (another client / an update)
    legacy_key_prob: float = 0.3  # a row of a writer with a legacy slot carries the legacy key
    arg_reorder_prob: float = 0.1  # a tool input's arguments come in a rotated order
    compaction_every: int = 150  # messages between compactions, jittered 0.5x..1.5x (0 = never)
    auto_compaction_prob: float = 0.7  # compaction part ``auto`` is true
    overflow_prob: float = 0.15  # an auto compaction carries ``overflow: true``
    tail_start_prob: float = 0.6  # a newer writer's compaction carries ``tail_start_id``
    compaction_error_prob: float = 0.05  # the summary assistant failed (not a finished boundary)
    prune_prob: float = 0.7  # a compaction prunes older completed tool outputs (``time.compacted``)
    snapshot_prob: float = 0.7  # a session has snapshots on (step-start / step-finish ``snapshot``)
    synthetic_text_prob: float = 0.35  # a user message gets a synthetic text part
    ignored_prob: float = 0.02  # a user text part is ``ignored``
    file_part_prob: float = 0.1  # a user message attaches files (1-2 file parts)
    file_source_prob: float = 0.5  # a file part has a ``source`` (@-mention)
    agent_part_prob: float = 0.03  # a user message has an agent part
    subtask_part_prob: float = 0.02  # a user message has a subtask part
    reasoning_prob: float = 0.5  # an assistant message starts with a reasoning part
    metadata_prob: float = 0.6  # a text / reasoning part carries its provider's metadata (if it has any)
    tool_metadata_prob: float = 0.08  # a tool part carries part-level metadata (provider / providerExecuted)
    tool_error_prob: float = 0.04  # a tool call ends in the error state
    attachment_prob: float = 0.01  # a completed tool state has attachments
    interrupt_prob: float = 0.03  # a turn's last assistant stops mid-stream (open last part, no finish)
    retry_prob: float = 0.02  # an assistant message starts with retry parts
    patch_prob: float = 0.6  # a step that edited files (snapshots on) gets a patch part
    snapshot_part_prob: float = 0.03  # an assistant message ends with a snapshot part
    assistant_error_prob: float = 0.06  # a turn's last assistant carries ``error`` (finish then kept 30 %)
    length_finish_prob: float = 0.01  # a final step finishes with ``length``
    structured_prob: float = 0.8  # the last answer to a json_schema user carries ``structured``
    user_summary_prob: float = 0.7  # a user info gets ``summary`` after its turn
    summary_title_prob: float = 0.4  # such a summary has ``title``
    summary_body_prob: float = 0.15  # such a summary has ``body``
    user_tools_prob: float = 0.1  # a user info carries ``tools`` (keyed by tool name)
    session_paths: int = 24  # distinct file paths a session works on (tool inputs, diffs, LSP diagnostics keys)
    user_system_prob: float = 0.02  # a user info carries ``system``
    user_format_prob: float = 0.01  # a user info carries ``format``
    variant_prob: float = 0.15  # a user model has ``variant`` (its assistants then carry ``variant``)
    model_switch_prob: float = 0.01  # before a turn, the user switches to a drawn provider / model for good
    older_writers: float = 0.05  # share of the messages, the oldest, written by writers before today's schema

    def __post_init__(self) -> None:
        for name, table in (("writer_weights", WRITERS), ("client_weights", CLIENTS)):
            given = getattr(self, name)
            weights = tuple(given) if isinstance(given, (list, tuple)) else (given,)
            _check(
                len(weights) == len(table)
                and all(_number(w) and 0 <= w < math.inf for w in weights)
                and sum(weights) > 0,
                f"{name} needs {len(table)} finite weights >= 0 with a positive sum, got {given!r}",
            )
            object.__setattr__(self, name, tuple(float(w) for w in weights))
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name.endswith(_SHARES) and not (_number(value) and 0.0 <= value <= 1.0):
                raise ValueError(f"{field.name} must be a probability in [0, 1], got {value!r}")
        for name, low, high in (
            ("sessions", 1, MAX_SESSIONS),
            ("compaction_every", 0, None),
            ("session_paths", 1, MAX_SESSION_PATHS),
        ):
            value = getattr(self, name)
            _check(
                not isinstance(value, bool) and isinstance(value, int) and low <= value <= (high or value),
                f"{name} must be an integer >= {low}" + (f" and <= {high}" if high else "") + f", got {value!r}",
            )
        for name, least in (("avg_parts", 0.0), ("avg_steps", 1.0)):
            value = getattr(self, name)
            _check(
                _number(value) and math.isfinite(value) and value >= least,
                f"{name} must be finite and >= {least:g}, got {value!r}",
            )
        _check(
            _number(self.text_scale) and math.isfinite(self.text_scale) and self.text_scale > 0,
            f"text_scale must be finite and > 0, got {self.text_scale!r}",
        )


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
