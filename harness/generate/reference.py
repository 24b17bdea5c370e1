"""Profile ``reference``: the generator of opencode's shape-stability perf test, bit for bit.

It reproduces ``message-v2-shape-stability-perf.test.ts`` (opencode PR #29029): one
session, alternating user / assistant messages, optional keys drawn from the LCG
in a fixed order, and five part types. Every draw is made whether or not its
key is added, so the draw sequence, and with it every row, matches the original
at any seed, size and average part count.
"""

from __future__ import annotations

import math
from typing import List, Tuple

from harness.rng import Lcg

T0 = 1_700_000_000_000
SESSION_ID = "ses_synth"
MODEL_ID = "claude-opus-4-7"
PROVIDER_ID = "anthropic"
CWD = "/home/test/proj"
TOOLS = ("bash", "read", "edit")


def message_id(index: int) -> str:
    return f"msg_{index:08d}"


def _assistant(data: dict, index: int, rng: Lcg) -> None:
    data["parentID"] = message_id(index - 1)
    data["modelID"] = MODEL_ID
    data["providerID"] = PROVIDER_ID
    data["mode"] = "primary"
    data["path"] = {"cwd": CWD, "root": CWD}
    data["cost"] = rng.draw() * 0.1
    tokens_in = rng.integer(1000)
    tokens_out = rng.integer(1000)
    data["tokens"] = {"input": tokens_in, "output": tokens_out, "reasoning": 0, "cache": {"read": 0, "write": 0}}
    if rng.below(0.3):
        data["summary"] = True
    if rng.below(0.1):
        data["error"] = {"name": "AbortedError", "message": "aborted"}
    if rng.below(0.4):
        data["finish"] = "stop"
    if rng.below(0.2):
        data["variant"] = "high"
    if rng.below(0.15):
        data["structured"] = {"schema": "json"}


def _user(data: dict, rng: Lcg) -> None:
    data["model"] = {"providerID": PROVIDER_ID, "modelID": MODEL_ID}
    if rng.below(0.5):
        data["summary"] = {"title": "x" * 40, "body": "x" * 200, "diffs": []}
    if rng.below(0.3):
        data["format"] = {"type": "text"}
    if rng.below(0.4):
        data["tools"] = {"read": True, "bash": True}
    if rng.below(0.2):
        data["system"] = "x" * 100


def _part_data(index: int, position: int, t: int, rng: Lcg) -> dict:
    pick = rng.draw()
    if pick < 0.4:
        data: dict = {"type": "text", "text": "x" * rng.integer(500)}
        if rng.below(0.2):
            data["metadata"] = {"source": "tool"}
        if rng.below(0.3):
            data["synthetic"] = True
        if rng.below(0.1):
            data["ignored"] = True
    elif pick < 0.55:
        data = {"type": "reasoning", "text": "x" * rng.integer(300), "time": {"start": t, "end": t + 50}}
        if rng.below(0.2):
            data["metadata"] = {}
    elif pick < 0.75:
        data = {
            "type": "tool",
            "callID": f"call_{index}_{position}",
            "tool": rng.choice(TOOLS),
            "state": {
                "status": "completed",
                "input": {"x": 1},
                "output": "x" * 100,
                "title": "t",
                "metadata": {},
                "time": {"start": t, "end": t + 100},
            },
        }
        if rng.below(0.15):
            data["metadata"] = {"tag": "x"}
    elif pick < 0.85:
        data = {"type": "step-start"}
        if rng.below(0.5):
            data["snapshot"] = "x" * 40
    else:
        data = {
            "type": "step-finish",
            "reason": "stop",
            "cost": rng.draw() * 0.01,
            "tokens": {"input": 100, "output": 50, "reasoning": 0, "cache": {"read": 0, "write": 0}},
        }
        if rng.below(0.4):
            data["snapshot"] = "x" * 40
    return data


def part_count(avg_parts: float, rng: Lcg) -> int:
    """``max(1, floor(A + (r - 0.5) * A))`` in double arithmetic; always one draw."""
    r = rng.draw()
    return max(1, math.floor(avg_parts + (r - 0.5) * avg_parts))


def generate_reference(seed: int, messages: int, avg_parts: float = 0) -> Tuple[List[Tuple[dict, List[dict]]], int]:
    """All message rows with their part rows, in generation order, and the number of draws."""
    rng = Lcg(seed)
    out: List[Tuple[dict, List[dict]]] = []
    for index in range(messages):
        role = "user" if index % 2 == 0 else "assistant"
        mid = message_id(index)
        t = T0 + 1000 * index
        data: dict = {"role": role, "time": {"created": t, "completed": t + 500}, "agent": "build"}
        if role == "assistant":
            _assistant(data, index, rng)
        else:
            _user(data, rng)
        row = {"id": mid, "session_id": SESSION_ID, "time_created": t, "time_updated": t, "data": data}
        parts = []
        for position in range(part_count(avg_parts, rng)):
            parts.append(
                {
                    "id": f"prt_{index:08d}_{position:03d}",
                    "message_id": mid,
                    "session_id": SESSION_ID,
                    "time_created": t + position,
                    "time_updated": t + position,
                    "data": _part_data(index, position, t, rng),
                }
            )
        out.append((row, parts))
    return out, rng.calls
