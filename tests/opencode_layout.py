"""opencode databases for tests: opencode's real tables (every column, its indexes, WAL journal)
filled with generated sessions, plus rows the way older writers left them and a part type this
harness does not know.

Also a script that builds a large one for timing the import (not committed, never in the default
suite)::

    python tests/opencode_layout.py OUT.db --megabytes 1000

It generates a realistic chunk once and stores it again and again with fresh ids (the random
tail of every id, in the id columns and inside the data, shifted per copy), so its size costs
seconds, not the generator's minutes.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import time
from pathlib import Path

from harness import canonical
from harness.generate import generate

#: opencode's tables as its migrations create them (session.sql.ts, project.sql.ts): more columns
#: than a harness dataset has.
OPENCODE_TABLES = """
CREATE TABLE project (id text PRIMARY KEY NOT NULL, worktree text NOT NULL, vcs text, name text,
    icon_url text, icon_color text, time_created integer NOT NULL, time_updated integer NOT NULL,
    time_initialized integer, sandboxes text NOT NULL, commands text, worktree_settings text);
CREATE TABLE session (id text PRIMARY KEY NOT NULL,
    project_id text NOT NULL REFERENCES project(id) ON DELETE CASCADE, workspace_id text, parent_id text,
    slug text NOT NULL, directory text NOT NULL, path text, title text NOT NULL, version text NOT NULL,
    share_url text, summary_additions integer, summary_deletions integer, summary_files integer,
    summary_diffs text, cost real DEFAULT 0 NOT NULL, tokens_input integer DEFAULT 0 NOT NULL,
    tokens_output integer DEFAULT 0 NOT NULL, tokens_reasoning integer DEFAULT 0 NOT NULL,
    tokens_cache_read integer DEFAULT 0 NOT NULL, tokens_cache_write integer DEFAULT 0 NOT NULL,
    revert text, permission text, goal text, agent text, model text, time_created integer NOT NULL,
    time_updated integer NOT NULL, time_compacting integer, time_archived integer);
CREATE TABLE message (id text PRIMARY KEY NOT NULL,
    session_id text NOT NULL REFERENCES session(id) ON DELETE CASCADE,
    time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL);
CREATE TABLE part (id text PRIMARY KEY NOT NULL,
    message_id text NOT NULL REFERENCES message(id) ON DELETE CASCADE, session_id text NOT NULL,
    time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL);
CREATE TABLE todo (session_id text NOT NULL REFERENCES session(id) ON DELETE CASCADE, content text NOT NULL,
    status text NOT NULL, priority text NOT NULL, position integer NOT NULL, time_created integer NOT NULL,
    time_updated integer NOT NULL, PRIMARY KEY (session_id, position));
CREATE TABLE permission (project_id text PRIMARY KEY NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL);
CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric);
"""
CURRENT_INDEXES = """
CREATE INDEX message_session_time_created_id_idx ON message (session_id, time_created, id);
CREATE INDEX part_message_id_id_idx ON part (message_id, id);
CREATE INDEX part_session_idx ON part (session_id);
CREATE INDEX session_project_idx ON session (project_id);
"""
#: The indexes before opencode's 2026-03 migration.
OLD_INDEXES = """
CREATE INDEX message_session_idx ON message (session_id);
CREATE INDEX part_message_idx ON part (message_id);
"""

#: Rows as older writers stored them, and a part type from a newer one (message data, its parts).
OLD_AND_UNKNOWN = [
    (
        {
            "role": "user",
            "time": {"created": 1},
            "mode": "build",
            "agent": "build",
            "model": {"providerID": "anthropic", "modelID": "claude-3-5-sonnet"},
            "summary": {
                "diffs": [{"file": "src/legacy.ts", "before": "a\n", "after": "b\n", "additions": 1, "deletions": 1}]
            },
            "tools": {"legacy_tool": True, "bash": False},
        },
        [
            {"type": "text", "text": 'an old prompt with a "quote" and a tab\there'},
            {"type": "future-widget", "widget": {"kind": "chart", "series": [1, 2.5, 3]}, "caption": "unknown to us"},
        ],
    ),
    (
        {
            "role": "assistant",
            "time": {"created": 2},
            "parentID": None,
            "modelID": "gpt-4o",
            "providerID": "openai",
            "mode": "build",
            "path": {"cwd": "/home/someone/project", "root": "/home/someone/project"},
            "cost": 0.5,
            "tokens": {"input": 10, "output": 20, "reasoning": 0, "cache": {"read": 0, "write": 0}},
            "error": {"name": "MessageAbortedError", "message": "aborted by the user, long ago"},
        },
        [
            {
                "type": "tool",
                "callID": "call_legacy",
                "tool": "edit",
                "state": {
                    "status": "completed",
                    "input": {"filePath": "/home/someone/project/ünïcode.ts"},
                    "output": "ok ✓ 中文",
                    "title": "edit ünïcode.ts",
                    "metadata": {"diagnostics": {"/home/someone/project/ünïcode.ts": []}},
                    "time": {"start": 3, "end": 4},
                },
            }
        ],
    ),
]


def _ids(data_rows, session_id, first_time):
    """Column values for hand-written rows: fresh ids in opencode's form, times after ``first_time``."""
    stored = []
    for number, (info, parts) in enumerate(data_rows):
        message_id = f"msg_{first_time + number:012x}Legacy{number:08d}"
        info = dict(info)
        if info.get("role") == "assistant" and info.get("parentID") is None:
            info["parentID"] = f"msg_{first_time + number - 1:012x}Legacy{number - 1:08d}"
        created = first_time + number
        message = (message_id, session_id, created, created, json.dumps(info, separators=(",", ":")))
        own = [
            (
                f"prt_{first_time + number:012x}Part{number:02d}{index:08d}",
                message_id,
                session_id,
                created,
                created,
                json.dumps(part, separators=(",", ":"), ensure_ascii=False),
            )
            for index, part in enumerate(parts)
        ]
        stored.append((message, own))
    return stored


def _session_row(session_id, title, created):
    return (
        session_id,
        "prj_test",
        f"slug-{session_id[-6:]}",
        "/home/someone/project",
        title,
        "1.0.0",
        created,
        created,
    )


def create(path, old_indexes=False, journal="wal"):
    """An empty opencode database at ``path`` with one project."""
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.executescript(OPENCODE_TABLES + (OLD_INDEXES if old_indexes else CURRENT_INDEXES))
    conn.execute(
        "INSERT INTO project (id, worktree, time_created, time_updated, sandboxes) VALUES "
        "('prj_test', '/home/someone/project', 1, 1, '[]')"
    )
    conn.execute("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('0000', 1)")
    conn.commit()
    return conn


def fill(conn, stored, titles=None):
    """Insert stored records (and a session row per session, titled ``titles[sid]`` or after it)."""
    seen = {}
    for message, _ in stored:
        seen.setdefault(message[1], message[2])
    conn.executemany(
        "INSERT OR IGNORE INTO session (id, project_id, slug, directory, title, version, time_created, "
        "time_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [_session_row(sid, (titles or {}).get(sid, f"Fixing the build of {sid}"), t) for sid, t in seen.items()],
    )
    conn.executemany("INSERT INTO message VALUES (?, ?, ?, ?, ?)", [message for message, _ in stored])
    conn.executemany("INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)", [part for _, own in stored for part in own])
    conn.commit()


def build(path, messages=300, seed=5, sessions=3, old_indexes=False, journal="wal", extra=True):
    """A small opencode database: ``messages`` realistic messages in ``sessions`` sessions, then the
    older writers' rows and the unknown part type in a session of their own. Returns its records."""
    stored = list(canonical.to_stored(generate("realistic", seed, messages, sessions=sessions).records))
    if extra:
        stored += _ids(OLD_AND_UNKNOWN, "ses_0000000000aaLegacySessions", 0xAA0000)
    conn = create(path, old_indexes, journal)
    try:
        # inserted newest first: the import orders rows itself
        fill(conn, list(reversed(stored)))
    finally:
        conn.close()
    return stored


_ID = re.compile(r"(ses|msg|prt)_([0-9a-f]{12})([0-9A-Za-z]{3})")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _copy_ids(text, copy):
    tag = _BASE62[copy // 3844 % 62] + _BASE62[copy // 62 % 62] + _BASE62[copy % 62]
    return _ID.sub(lambda m: f"{m.group(1)}_{m.group(2)}{tag}", text)


def build_large(path, megabytes, chunk_messages=20000, seed=11, say=print):
    """An opencode database of about ``megabytes`` MB: one generated chunk stored with fresh ids per copy."""
    chunk = list(canonical.to_stored(generate("realistic", seed, chunk_messages, sessions=8).records))
    conn = create(path, journal="wal")
    conn.execute("PRAGMA synchronous = OFF")
    copy = 0
    try:
        while Path(path).stat().st_size < megabytes * 1_000_000 and copy < 238_328:
            moved = [
                (
                    tuple(_copy_ids(v, copy) if isinstance(v, str) else v for v in message),
                    [tuple(_copy_ids(v, copy) if isinstance(v, str) else v for v in part) for part in own],
                )
                for message, own in chunk
            ]
            fill(conn, moved)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            copy += 1
            say(f"copy {copy}: {Path(path).stat().st_size / 1e6:.0f} MB")
    finally:
        conn.close()
    return copy * chunk_messages


def main(argv=None):
    parser = argparse.ArgumentParser(description="build a large opencode database for timing the import")
    parser.add_argument("out", type=Path)
    parser.add_argument("--megabytes", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.out.exists():
        parser.error(f"{args.out} exists")
    started = time.perf_counter()
    messages = build_large(args.out, args.megabytes, say=lambda text: print(text, file=sys.stderr))
    print(
        f"{args.out}: {messages} messages, {args.out.stat().st_size / 1e6:.0f} MB "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
