"""Hand-built sessions in opencode's SQLite layout, for workload tests."""

import sqlite3
from typing import List, Optional

from harness.jsonfmt import js_dumps
from harness.store import create_tables

SESSION = "ses_test"


class SessionBuilder:
    """Append user / assistant messages with parts to an in-memory database, in time order."""

    def __init__(self, session_id: str = SESSION) -> None:
        self.conn = sqlite3.connect(":memory:")
        create_tables(self.conn)
        self.session_id = session_id
        self.conn.execute("INSERT INTO session VALUES (?, 't', 0, 0)", (session_id,))
        self.count = 0
        self.ids: List[str] = []

    def _add(self, data: dict, parts: List[dict]) -> str:
        index = self.count
        self.count += 1
        mid = f"msg_{index:06d}"
        t = 1000 * index
        self.conn.execute("INSERT INTO message VALUES (?, ?, ?, ?, ?)", (mid, self.session_id, t, t, js_dumps(data)))
        for position, part in enumerate(parts):
            self.conn.execute(
                "INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)",
                (f"prt_{index:06d}_{position:02d}", mid, self.session_id, t, t, js_dumps(part)),
            )
        self.ids.append(mid)
        return mid

    def user(self, compaction: Optional[dict] = None) -> str:
        parts = [{"type": "text", "text": "hi"}]
        if compaction is not None:
            parts.append({"type": "compaction", **compaction})
        return self._add(user_data(), parts)

    def assistant(self, parent: str, summary: bool = False, finish: bool = True, error: bool = False) -> str:
        return self._add(
            assistant_data(parent, summary, finish, error), [{"type": "step-start"}, {"type": "text", "text": "ok"}]
        )

    def turn(self) -> str:
        user = self.user()
        self.assistant(user)
        return user


def user_data(tools: bool = False) -> dict:
    """A user message's data (with ``tools``, an open map, when asked)."""
    data = {"role": "user", "time": {"created": 0}, "agent": "build", "model": {"providerID": "p", "modelID": "m"}}
    if tools:
        data["tools"] = {"bash": True, "edit": False}
    return data


def assistant_data(parent: str, summary: bool = False, finish: bool = True, error: bool = False) -> dict:
    """An assistant message's data answering ``parent``: a summary, finished, failed as asked."""
    data = {
        "role": "assistant",
        "time": {"created": 0},
        "parentID": parent,
        "modelID": "m",
        "providerID": "p",
        "mode": "build",
        "agent": "build",
        "path": {"cwd": "/", "root": "/"},
        "cost": 0.5,
        "tokens": {"input": 1, "output": 1, "reasoning": 0, "cache": {"read": 0, "write": 0}},
    }
    if summary:
        data["summary"] = True
    if finish:
        data["finish"] = "stop"
    if error:
        data["error"] = {"name": "UnknownError", "data": {"message": "boom"}}
    return data


def message_ids(messages, strategy) -> List[str]:
    return [strategy.field(message["info"], "id") for message in messages]
