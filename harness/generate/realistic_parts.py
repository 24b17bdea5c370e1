"""Vocabulary and part builders of the ``realistic`` profile (its writer versions: :mod:`.writers`).

See :mod:`harness.generate.realistic` for what the profile models. Everything
random here comes from the session's :class:`~harness.rng.Lcg`; strings are
slices of fixed pools (built once from SHA-256 output) at drawn offsets.
"""

from __future__ import annotations

import hashlib
from bisect import bisect
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from harness.generate.realistic_params import RealisticParams
from harness.generate.writers import WRITERS, Writer
from harness.rng import Lcg

# --- string pools -------------------------------------------------------------------------------

_BYTES = b"".join(hashlib.sha256(b"shape-harness %d" % i).digest() for i in range(4096))
HEX = _BYTES.hex()
B62 = "".join("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[b % 62] for b in _BYTES)
_WORDS = (
    "the",
    "session",
    "message",
    "part",
    "const",
    "return",
    "await",
    "function",
    "import",
    "from",
    "if",
    "else",
    "error",
    "value",
    "=",
    "=>",
    "{",
    "}",
    "(",
    ")",
    ";",
    "\n",
    "\n\n",
    "test",
    "file",
    "src/index.ts",
    "let",
    "we",
    "should",
    "update",
    "config",
    "check",
    "build",
    "tool",
    "output",
    "read",
    "line",
    "42",
    "type",
    "string",
    "number",
    "undefined",
    "null",
    "cache",
    "row",
    "id",
    "query",
    "sqlite",
    "shape",
    "GC",
    "fix",
    "the",
    "a",
    "to",
    "of",
    "and",
    "in",
    "is",
    "this",
    "that",
    "with",
    "for",
    "- ",
    "```",
)
TEXT = " ".join(_WORDS[b % len(_WORDS)] for b in _BYTES[:60000])
#: Longest string :meth:`Ctx.text` returns, whatever ``text_scale`` asks for.
MAX_TEXT = len(TEXT) // 2
T0 = 25 * 2**36  # 2024-06-10; a multiple of 2**36 ms, so 48-bit id time digits start near 0 and never wrap.


def cumulative(weights: Sequence[float]) -> Tuple[float, ...]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return tuple(out)


class Clock:
    """Dataset-wide millisecond clock; only moves forward."""

    __slots__ = ("t",)

    def __init__(self, t: int) -> None:
        self.t = t


class Provider(NamedTuple):
    """A provider with its models, tool call id prefix and provider-metadata shapes per part kind."""

    id: str
    models: Tuple[str, ...]
    call_prefix: str
    reasoning_meta: Optional[Tuple[str, Tuple[Tuple[str, str, int], ...]]]
    text_meta: Optional[Tuple[str, Tuple[Tuple[str, str, int], ...]]]
    tool_meta: Optional[Tuple[str, Tuple[Tuple[str, str, int], ...]]]


PROVIDERS: Tuple[Provider, ...] = (
    Provider(
        "anthropic",
        ("claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"),
        "toolu_",
        ("anthropic", (("signature", "", 180),)),
        None,
        None,
    ),
    Provider(
        "openai",
        ("gpt-5", "gpt-5-codex", "gpt-5-mini"),
        "call_",
        ("openai", (("itemId", "rs_", 40), ("reasoningEncryptedContent", "gAAAAA", 160))),
        ("openai", (("itemId", "msg_", 40),)),
        ("openai", (("itemId", "fc_", 40),)),
    ),
    Provider(
        "google",
        ("gemini-2.5-pro", "gemini-2.5-flash"),
        "",
        ("google", (("thoughtSignature", "", 120),)),
        None,
        ("google", (("thoughtSignature", "", 120),)),
    ),
    Provider("opencode", ("grok-code", "qwen3-coder", "kimi-k2"), "call_", None, None, None),
    Provider(
        "openrouter",
        ("anthropic/claude-sonnet-4.5", "deepseek/deepseek-chat-v3.1"),
        "toolu_",
        ("openrouter", (("reasoning_details", "", 60),)),
        None,
        None,
    ),
)
PROVIDER_CUM = cumulative((0.45, 0.25, 0.1, 0.12, 0.08))
AGENTS = ("build", "plan", "general", "docs-writer", "reviewer")
AGENT_CUM = cumulative((0.75, 0.15, 0.04, 0.03, 0.03))
#: Where a session's files live and what they are called; each session draws its own pool of
#: ``RealisticParams.session_paths`` paths from these (tool inputs, diffs, patches, diagnostics).
FILE_DIRS = ("src", "src/session", "src/tool", "src/server", "src/storage", "src/util", "test", "packages/core/src")
FILE_STEMS = (
    "index",
    "prompt",
    "message-v2",
    "bash",
    "edit",
    "server",
    "db",
    "log",
    "provider",
    "run",
    "client",
    "config",
    "session",
    "tool",
    "cache",
    "schema",
)
FILE_EXTS = (".ts", ".ts", ".ts", ".tsx", ".json", ".md")
#: Tools whose calls open their file in the LSP (``LSP.touchFile``), so it gets a diagnostics entry.
TOUCHING_TOOLS = frozenset(("read", "edit", "write"))
#: Tools the task tool's subagent prompts switch off (``tools: {todowrite: false, todoread: false, ...}``).
SUBAGENT_OFF = ("todowrite", "todoread")
#: Tools a config may name in ``experimental.primary_tools`` (switched off for subagents too).
PRIMARY_TOOLS = ("edit", "write", "bash", "webfetch")
COMMANDS = (
    "bun test",
    "bun run typecheck",
    "git status",
    "git diff --stat",
    "ls -la",
    "npm install",
    "rg TODO src",
    "cat package.json",
    "bun run build",
    "git log --oneline -20",
    "make lint",
)
PATTERNS = ("TODO", "function \\w+\\(", "import .* from", "filterCompacted", "time_updated", "export const")
GLOBS = ("**/*.ts", "src/**/*.tsx", "*.json", "**/*.test.ts", "docs/**/*.md")
URLS = (
    "https://opencode.ai/docs",
    "https://github.com/sst/opencode/issues/18136",
    "https://docs.python.org/3/library/gc.html",
    "https://bun.sh/docs/api/sqlite",
)
HEADERS = (
    ("content-type", "application/json"),
    ("retry-after", "12"),
    ("x-request-id", None),
    ("anthropic-ratelimit-requests-remaining", "0"),
    ("cf-ray", None),
    ("date", "Tue, 10 Jun 2025"),
)
STATUS_CODES = (400, 401, 403, 404, 408, 413, 429, 500, 502, 503, 529)
TODO_STATES = ("pending", "in_progress", "completed", "cancelled")
MIMES = ("text/plain", "image/png", "application/pdf", "application/x-directory", "text/x-typescript")


#: An older writer's rows (``RealisticParams.older_writers``): how often an assistant's ``parentID``
#: is null (else absent), a tool state's time lacks ``start``, a text ends in half an emoji (the high
#: surrogate ``JSON.stringify`` escapes alone when a stream is cut inside one).
OLDER_NULL_PARENT = 0.3
OLDER_NO_START = 0.5
OLDER_CUT_EMOJI = 0.1
CUT_EMOJI = "\ud83d"


class Ctx:
    """One session's generation state: draws, params, clock and the session's fixed choices; ``old``:
    the rows being written are an older writer's (the oldest writer's key orders, see ``writer``)."""

    __slots__ = (
        "rng",
        "p",
        "clock",
        "version",
        "old",
        "provider",
        "session_id",
        "cwd",
        "root",
        "snapshots",
        "paths",
        "touched",
        "primary_tools",
    )

    def __init__(self, rng: Lcg, p: RealisticParams, clock: Clock) -> None:
        self.rng, self.p, self.clock = rng, p, clock
        self.old = False
        self.switch_writer()
        self.switch_provider()
        project = rng.choice(("opencode", "harness", "webapp", "infra", "notes"))
        self.root = "/home/dev/" + project
        self.cwd = self.root + "/packages/core" if rng.below(0.2) else self.root
        self.snapshots = rng.below(p.snapshot_prob)
        self.session_id = self.new_id("ses")
        self.paths = self._path_pool(p.session_paths)
        #: Files the session's LSP has opened, in the order it first opened them (its diagnostics keys).
        self.touched: Dict[str, None] = {}
        self.primary_tools = [name for name in PRIMARY_TOOLS if rng.below(0.1)]

    def _path_pool(self, size: int) -> Tuple[str, ...]:
        """``size`` distinct file paths of this session's project (a clash gets a numbered stem)."""
        pool: Dict[str, None] = {}
        while len(pool) < size:
            directory, stem, ext = self.rng.choice(FILE_DIRS), self.rng.choice(FILE_STEMS), self.rng.choice(FILE_EXTS)
            path = f"{self.root}/{directory}/{stem}{ext}"
            pool[f"{self.root}/{directory}/{stem}{len(pool)}{ext}" if path in pool else path] = None
        return tuple(pool)

    def switch_writer(self) -> None:
        """Draw the writer version of the rows to come (another client or an update writes from now on)."""
        self.version = WRITERS[pick(self.rng, cumulative(self.p.writer_weights))]

    @property
    def writer(self) -> Writer:
        """The key orders of the rows being written: the drawn version's, the oldest for an older writer."""
        return WRITERS[0] if self.old else self.version

    def switch_provider(self) -> None:
        self.provider = PROVIDERS[pick(self.rng, PROVIDER_CUM)]

    def tick(self, lo: int, hi: int) -> int:
        """Advance the clock by lo..hi-1 ms (lo >= 1) and return the new time."""
        self.clock.t += lo + self.rng.integer(hi - lo)
        return self.clock.t

    def ident(self, prefix: str, t: int) -> str:
        """opencode's ascending id: 12 hex digits of (t * 0x1000) mod 16**12, then 14 base62 chars.

        The counter term is always 0: the clock advances at least 1 ms per row id.
        """
        offset = self.rng.integer(len(B62) - 14)
        return f"{prefix}_{(t * 0x1000) % 16**12:012x}{B62[offset : offset + 14]}"

    def new_id(self, prefix: str) -> str:
        return self.ident(prefix, self.tick(1, 400))

    def text(self, lo: int, hi: int) -> str:
        """A slice of the text pool, length lo..hi skewed towards lo (cubed draw), scaled by text_scale."""
        d = self.rng.draw()
        n = min(int((lo + (hi - lo) * d * d * d) * self.p.text_scale), MAX_TEXT)
        offset = self.rng.integer(len(TEXT) - n)
        return TEXT[offset : offset + n]

    def hex(self, n: int) -> str:
        offset = self.rng.integer(len(HEX) - n)
        return HEX[offset : offset + n]

    def b62(self, n: int) -> str:
        offset = self.rng.integer(len(B62) - n)
        return B62[offset : offset + n]

    def path(self) -> str:
        """A file of this session's pool."""
        return self.rng.choice(self.paths)

    def touch(self, path: str) -> None:
        """The LSP opens ``path`` (a read, edit or write tool call): it joins the diagnostics keys."""
        self.touched.setdefault(path)

    def tokens(self, with_reasoning: bool) -> dict:
        """Token usage in this writer's key order."""
        rng = self.rng
        cache = {"read": rng.integer(120_000), "write": rng.integer(8_000)}
        counts = {
            "input": 200 + rng.integer(40_000),
            "output": rng.integer(4_000),
            "reasoning": rng.integer(2_000) if with_reasoning else 0,
        }
        values = {
            **counts,
            "cache": {key: cache[key] for key in self.writer.cache},
            "total": sum(counts.values()) + cache["read"] + cache["write"],
        }
        return {key: values[key] for key in self.writer.tokens}

    def part_row(
        self,
        message: dict,
        data: dict,
        created: int,
        updated: int,
        late: Tuple[str, ...] = (),
        orders: Optional[Dict[str, Tuple[str, ...]]] = None,
    ) -> dict:
        """A part row; ``data`` in the key order for its type (``orders``, default this writer's),
        then the ``late`` keys it has."""
        order = (orders or self.writer.parts)[data["type"]]
        body = {key: data[key] for key in order if key in data and key not in late}
        for key in late:
            if key in data:
                body[key] = data[key]
        return {
            "id": self.ident("prt", created),
            "message_id": message["id"],
            "session_id": self.session_id,
            "time_created": created,
            "time_updated": updated,
            "data": body,
        }


def pick(rng: Lcg, bounds: Tuple[float, ...]) -> int:
    """Index drawn with weights given as cumulative ``bounds`` (one draw); zero weights never win."""
    return min(bisect(bounds, rng.draw() * bounds[-1]), len(bounds) - 1)


def shuffled(rng: Lcg, items: List) -> List:
    """Fisher-Yates in place (len - 1 draws) and return the list."""
    for i in range(len(items) - 1, 0, -1):
        j = rng.integer(i + 1)
        items[i], items[j] = items[j], items[i]
    return items


# --- value makers: a spec is a tuple of (key, probability, kind); probability >= 1 means always ------

Spec = Tuple[Tuple[str, float, str], ...]


def _todos(c: Ctx) -> list:
    return [
        {
            "content": c.text(10, 120),
            "status": c.rng.choice(TODO_STATES),
            "priority": c.rng.choice(("high", "medium", "low")),
            "id": str(i + 1),
        }
        for i in range(1 + c.rng.integer(6))
    ]


def filediff(c: Ctx) -> dict:
    """FileDiff (SCHEMA §1) in the writer's version: before/after contents (older) or a patch (newer)."""
    values = {
        "file": c.path(),
        "before": c.text(0, 600),
        "after": c.text(0, 600),
        "patch": c.text(20, 800),
        "additions": c.rng.integer(80),
        "deletions": c.rng.integer(40),
    }
    if c.rng.below(0.5):
        values["status"] = c.rng.choice(("added", "deleted", "modified"))
    return {key: values[key] for key in c.writer.filediff if key in values}


def _diagnostic(c: Ctx) -> dict:
    start = {"line": c.rng.integer(400), "character": c.rng.integer(80)}
    diag = {
        "range": {"start": start, "end": {"line": start["line"], "character": start["character"] + 5}},
        "message": c.text(10, 160),
        "severity": 1 + c.rng.integer(4),
    }
    if c.rng.below(0.7):
        diag["source"] = "ts"
    if c.rng.below(0.5):
        diag["code"] = 2000 + c.rng.integer(5000)
    return diag


def _diagnostics(c: Ctx) -> dict:
    """``LSP.diagnostics()`` as edit / write store it: every file the session's LSP has opened, in
    the order it first did, with its diagnostics (mostly none): a record keyed by data."""
    return {
        path: [_diagnostic(c) for _ in range(1 + c.rng.integer(3))] if c.rng.below(0.15) else [] for path in c.touched
    }


def _task_summary(c: Ctx) -> list:
    items = []
    for _ in range(c.rng.integer(5)):
        state = {"status": "completed", "title": c.text(5, 60)} if c.rng.below(0.8) else {"status": "running"}
        items.append({"id": c.ident("prt", c.clock.t), "tool": c.rng.choice(("read", "grep", "bash")), "state": state})
    return items


def _headers(c: Ctx) -> dict:
    return {name: value or c.b62(16) for name, value in HEADERS if c.rng.below(0.4)}


MAKERS: Dict[str, Callable[[Ctx], object]] = {
    "short": lambda c: c.text(8, 90),
    "prompt": lambda c: c.text(40, 2000),
    "code": lambda c: c.text(5, 900),
    "output": lambda c: c.text(0, 3500),
    "int": lambda c: 1 + c.rng.integer(2000),
    "count": lambda c: c.rng.integer(200),
    "exit": lambda c: c.rng.choice((0, 0, 0, 0, 0, 1, 1, 2, 127)),
    "true": lambda c: True,
    "bool": lambda c: c.rng.below(0.5),
    "path": Ctx.path,
    "dir": lambda c: c.root + c.rng.choice(("", "/src", "/test", "/packages/core")),
    "paths": lambda c: [c.path() for _ in range(1 + c.rng.integer(3))],
    "cmd": lambda c: c.rng.choice(COMMANDS),
    "pattern": lambda c: c.rng.choice(PATTERNS),
    "glob": lambda c: c.rng.choice(GLOBS),
    "globs": lambda c: [c.rng.choice(GLOBS)],
    "url": lambda c: c.rng.choice(URLS),
    "format": lambda c: c.rng.choice(("markdown", "text", "html")),
    "agent": lambda c: c.rng.choice(("general", "explore", "reviewer")),
    "ref": lambda c: "e" + str(c.rng.integer(900)),
    "libid": lambda c: c.rng.choice(("/vercel/next.js", "/oven-sh/bun", "/python/cpython")),
    "issue": lambda c: "OPENCODE-" + str(c.rng.integer(5000)),
    "session": lambda c: c.ident("ses", c.clock.t),
    "model": lambda c: {"modelID": c.rng.choice(c.provider.models), "providerID": c.provider.id},
    "todos": _todos,
    "filediff": filediff,
    "diagnostics": _diagnostics,
    "task_summary": _task_summary,
    "provider": lambda c: c.provider.id,
    "status_code": lambda c: c.rng.choice(STATUS_CODES),
    "headers": _headers,
    "body": lambda c: c.text(20, 500),
    "meta_map": lambda c: {"url": c.rng.choice(URLS)} if c.rng.below(0.5) else {"code": "overloaded_error"},
    "b62": lambda c: c.b62(12),
    "word": lambda c: c.rng.choice(("read", "bash", "edit", "grep", "websearch")),
}


def build(c: Ctx, spec: Spec) -> dict:
    """A dict with the spec's keys in spec order; optional keys present with their probability."""
    rng = c.rng
    return {key: MAKERS[kind](c) for key, probability, kind in spec if probability >= 1.0 or rng.draw() < probability}


# --- errors (SCHEMA §2) ---------------------------------------------------------------------------


class ErrorKind(NamedTuple):
    name: str
    weight: float
    data: Spec


ERRORS: Tuple[ErrorKind, ...] = (
    ErrorKind("ProviderAuthError", 0.04, (("providerID", 1, "provider"), ("message", 1, "short"))),
    ErrorKind("UnknownError", 0.1, (("message", 1, "short"), ("ref", 0.4, "b62"))),
    ErrorKind("MessageOutputLengthError", 0.05, ()),
    ErrorKind("MessageAbortedError", 0.42, (("message", 1, "short"),)),
    ErrorKind("StructuredOutputError", 0.04, (("message", 1, "short"), ("retries", 1, "count"))),
    ErrorKind("ContextOverflowError", 0.08, (("message", 1, "short"), ("responseBody", 0.5, "body"))),
    ErrorKind(
        "APIError",
        0.27,
        (
            ("message", 1, "short"),
            ("statusCode", 0.8, "status_code"),
            ("isRetryable", 1, "bool"),
            ("responseHeaders", 0.5, "headers"),
            ("responseBody", 0.5, "body"),
            ("metadata", 0.2, "meta_map"),
        ),
    ),
)
ERROR_CUM = cumulative([kind.weight for kind in ERRORS])
API_ERROR = ERRORS[-1]


def error(c: Ctx, kind: Optional[ErrorKind] = None) -> dict:
    """An AssistantError ``{name, data}``; kind drawn by weight unless given."""
    kind = kind or ERRORS[pick(c.rng, ERROR_CUM)]
    return {"name": kind.name, "data": build(c, kind.data)}


# --- tools -------------------------------------------------------------------------------------------


class Tool(NamedTuple):
    name: str
    weight: float
    inputs: Spec
    metadata: Spec  # completed-state metadata
    title_key: str  # input key whose value is the state title ("" for none)


_MCP_META: Spec = (("truncated", 0.1, "bool"),)
TOOLS: Tuple[Tool, ...] = (
    Tool(
        "bash",
        0.24,
        (("command", 1, "cmd"), ("description", 0.9, "short"), ("timeout", 0.08, "int")),
        (("output", 1, "output"), ("exit", 0.95, "exit"), ("description", 0.9, "short"), ("truncated", 0.05, "true")),
        "description",
    ),
    Tool(
        "read",
        0.24,
        (("filePath", 1, "path"), ("offset", 0.15, "int"), ("limit", 0.15, "int")),
        (("preview", 1, "code"), ("truncated", 1, "bool"), ("loaded", 0.2, "paths")),
        "filePath",
    ),
    Tool(
        "edit",
        0.12,
        (("filePath", 1, "path"), ("oldString", 1, "code"), ("newString", 1, "code"), ("replaceAll", 0.05, "bool")),
        (("diagnostics", 1, "diagnostics"), ("diff", 1, "code"), ("filediff", 0.8, "filediff")),
        "filePath",
    ),
    Tool(
        "write",
        0.04,
        (("content", 1, "prompt"), ("filePath", 1, "path")),
        (("diagnostics", 1, "diagnostics"), ("filepath", 1, "path"), ("exists", 1, "bool")),
        "filePath",
    ),
    Tool(
        "grep",
        0.08,
        (("pattern", 1, "pattern"), ("path", 0.5, "dir"), ("include", 0.3, "glob")),
        (("matches", 1, "count"), ("truncated", 1, "bool")),
        "pattern",
    ),
    Tool(
        "glob",
        0.05,
        (("pattern", 1, "glob"), ("path", 0.4, "dir")),
        (("count", 1, "count"), ("truncated", 1, "bool")),
        "pattern",
    ),
    Tool(
        "list",
        0.03,
        (("path", 0.7, "dir"), ("ignore", 0.1, "globs")),
        (("count", 1, "count"), ("truncated", 1, "bool")),
        "path",
    ),
    Tool("webfetch", 0.02, (("url", 1, "url"), ("format", 1, "format"), ("timeout", 0.1, "int")), (), "url"),
    Tool("todowrite", 0.05, (("todos", 1, "todos"),), (("todos", 1, "todos"),), ""),
    Tool("todoread", 0.01, (), (("todos", 1, "todos"),), ""),
    Tool(
        "task",
        0.02,
        (("description", 1, "short"), ("prompt", 1, "prompt"), ("subagent_type", 1, "agent")),
        (("summary", 1, "task_summary"), ("sessionId", 1, "session"), ("model", 0.5, "model")),
        "description",
    ),
    Tool("invalid", 0.01, (("tool", 1, "word"), ("error", 1, "short")), (), ""),
    Tool("context7_resolve-library-id", 0.01, (("libraryName", 1, "short"),), _MCP_META, ""),
    Tool(
        "context7_get-library-docs",
        0.015,
        (("context7CompatibleLibraryID", 1, "libid"), ("topic", 0.5, "short"), ("tokens", 0.3, "int")),
        _MCP_META,
        "",
    ),
    Tool(
        "github_search_issues",
        0.015,
        (("q", 1, "short"), ("owner", 0.6, "word"), ("repo", 0.6, "word"), ("perPage", 0.3, "int")),
        _MCP_META,
        "",
    ),
    Tool("playwright_browser_navigate", 0.01, (("url", 1, "url"),), _MCP_META, ""),
    Tool(
        "playwright_browser_click",
        0.01,
        (("element", 1, "short"), ("ref", 1, "ref"), ("button", 0.1, "word"), ("doubleClick", 0.05, "bool")),
        _MCP_META,
        "",
    ),
    Tool("sentry_get_issue_details", 0.01, (("issueId", 1, "issue"), ("organizationSlug", 0.7, "word")), _MCP_META, ""),
)
TOOL_CUM = cumulative([tool.weight for tool in TOOLS])
EDITING_TOOLS = frozenset(("edit", "write"))
LATE_METADATA = ("metadata",)
LATE_SYNTHETIC = ("synthetic",)


def _provider_meta(c: Ctx, meta: Optional[Tuple[str, Tuple[Tuple[str, str, int], ...]]]) -> Optional[dict]:
    if meta is None or not c.rng.below(c.p.metadata_prob):
        return None
    namespace, fields = meta
    return {namespace: {name: prefix + c.b62(length) for name, prefix, length in fields}}


def _tool_state(c: Ctx, tool: Tool, status: str, start: int, message_id: str) -> dict:
    """ToolState for ``status`` in the writer's key order; error-state metadata marks interruptions."""
    rng = c.rng
    values: dict = {"status": status, "input": build(c, tool.inputs) if status != "pending" else {}}
    inputs = values["input"]
    if len(inputs) > 1 and rng.below(c.p.arg_reorder_prob):  # models emit arguments in their own order
        keys = list(inputs)
        turn = 1 + rng.integer(len(keys) - 1)
        values["input"] = {key: inputs[key] for key in keys[turn:] + keys[:turn]}
    title = str(inputs.get(tool.title_key, ""))
    if status == "pending":
        values["raw"] = ""
    elif status == "running":
        values["time"] = {"start": start}
        if rng.below(0.5):
            values["title"] = title
        if rng.below(0.3):
            values["metadata"] = {}
    elif status == "completed":
        if tool.name in TOUCHING_TOOLS:
            c.touch(inputs["filePath"])
        metadata = build(c, tool.metadata)
        if "filepath" in metadata:  # write reports the file it wrote
            metadata["filepath"] = inputs["filePath"]
        values.update(
            output=metadata.get("output") or c.text(0, 2500),
            title=title,
            metadata=metadata,
            time={"start": start, "end": c.tick(5, 20_000)},
        )
        if rng.below(c.p.attachment_prob):
            values["attachments"] = [
                {
                    "id": c.ident("prt", c.clock.t),
                    "sessionID": c.session_id,
                    "messageID": message_id,
                    "type": "file",
                    "mime": "image/png",
                    "url": "data:image/png;base64," + c.b62(200),
                }
            ]
    else:
        values["error"] = c.text(10, 300)
        values["time"] = {"start": start, "end": c.tick(5, 5_000)}
    if c.old:
        _older_state(c, values)
    return {key: values[key] for key in c.writer.state if key in values}


def _older_state(c: Ctx, values: dict) -> None:
    """An older writer's tool state: a pending one is ``{status}`` alone, a time may lack ``start``
    (``{}`` or ``{end}``)."""
    if values["status"] == "pending":
        for key in [key for key in values if key != "status"]:
            del values[key]
    elif c.rng.below(OLDER_NO_START):
        del values["time"]["start"]


def tool_part(c: Ctx, message: dict, status: str, interrupted: bool = False) -> Tuple[dict, str, dict]:
    """A tool part row, its tool name and its state (completed states may be pruned at compaction)."""
    created = c.tick(1, 3_000)
    tool = TOOLS[pick(c.rng, TOOL_CUM)]
    state = _tool_state(c, tool, status, created, message["id"])
    if interrupted and status == "error":  # aborted run: opencode records the interruption afterwards
        state["metadata"] = {"interrupted": True, "output": c.text(0, 400)}
    data = {"type": "tool", "callID": c.provider.call_prefix + c.b62(24), "tool": tool.name, "state": state}
    if c.rng.below(c.p.tool_metadata_prob):
        data["metadata"] = _provider_meta(c, c.provider.tool_meta) or {"providerExecuted": True}
    return c.part_row(message, data, created, c.clock.t), tool.name, state


# --- other parts -------------------------------------------------------------------------------------


def timed_text(c: Ctx, message: dict, kind: str, open_end: bool, lo: int, hi: int) -> dict:
    """An assistant text or reasoning part with {start, end?} and maybe provider metadata."""
    created = c.tick(1, 2_000)
    data: dict = {"type": kind, "text": c.text(lo, hi), "time": {"start": created}}
    if c.old and kind == "text" and c.rng.below(OLDER_CUT_EMOJI):
        data["text"] += CUT_EMOJI
    if not open_end:
        data["time"]["end"] = c.tick(5, 15_000)
    meta = _provider_meta(c, c.provider.reasoning_meta if kind == "reasoning" else c.provider.text_meta)
    if meta is None:
        return c.part_row(message, data, created, c.clock.t)
    data["metadata"] = meta
    # metadata comes with the start event, or only with the end event (then it is appended)
    return c.part_row(message, data, created, c.clock.t, LATE_METADATA if c.rng.below(0.5) else ())


def step_finish(c: Ctx, message: dict, reason: str, tokens: dict, cost: float) -> dict:
    """A step-finish part; an older writer's has no ``reason`` (nor ``snapshot``)."""
    data = {"type": "step-finish", "reason": reason, "tokens": tokens, "cost": cost}
    if c.old:
        del data["reason"]
    elif c.snapshots:
        data["snapshot"] = c.hex(40)
    created = c.tick(1, 200)
    return c.part_row(message, data, created, created)


def simple_part(
    c: Ctx, message: dict, data: dict, late: Tuple[str, ...] = (), orders: Optional[Dict[str, Tuple[str, ...]]] = None
) -> dict:
    """A part written once (step-start, patch, snapshot, retry, compaction, agent, subtask, file, text)."""
    created = c.tick(1, 300)
    return c.part_row(message, data, created, created, late, orders)


def retry_data(c: Ctx, attempt: int) -> dict:
    return {"type": "retry", "attempt": attempt, "error": error(c, API_ERROR), "time": {"created": c.clock.t}}


def file_data(c: Ctx) -> dict:
    """A user file part: filename usual, source (file / symbol / resource) on @-mentions."""
    rng = c.rng
    path = c.path()
    data = {"type": "file", "mime": rng.choice(MIMES), "url": "file://" + path}
    if rng.below(0.9):
        data["filename"] = path.rsplit("/", 1)[-1]
    if rng.below(c.p.file_source_prob):
        text = {"value": "@" + path, "start": rng.integer(200), "end": 200 + rng.integer(200)}
        variant = rng.integer(3)
        if variant == 0:
            data["source"] = {"text": text, "type": "file", "path": path}
        elif variant == 1:
            line = rng.integer(500)
            data["source"] = {
                "type": "symbol",
                "text": text,
                "path": path,
                "name": c.b62(8),
                "kind": 1 + rng.integer(25),
                "range": {
                    "start": {"line": line, "character": 0},
                    "end": {"line": line + rng.integer(40), "character": rng.integer(80)},
                },
            }
        else:
            data["source"] = {
                "type": "resource",
                "text": text,
                "clientName": "context7",
                "uri": "context7://" + c.b62(10),
            }
    return data


def agent_data(c: Ctx) -> dict:
    data = {"type": "agent", "name": c.rng.choice(AGENTS[1:])}
    if c.rng.below(0.7):
        data["source"] = {"value": "@" + data["name"], "start": 0, "end": 1 + len(data["name"])}
    return data


def subtask_data(c: Ctx) -> dict:
    data = {
        "type": "subtask",
        "prompt": c.text(20, 800),
        "description": c.text(8, 80),
        "agent": c.rng.choice(("general", "explore")),
    }
    if c.rng.below(0.5):
        data["model"] = {"providerID": c.provider.id, "modelID": c.rng.choice(c.provider.models)}
    if c.rng.below(0.3):
        data["command"] = c.rng.choice(("review", "test", "init"))
    return data


def user_tools(c: Ctx) -> dict:
    """A user info's ``tools`` (tool name -> enabled): mostly the task tool's subagent prompt
    (``todowrite`` / ``todoread`` off, ``task`` off without task permission, the config's primary
    tools off), else a client's own map."""
    rng = c.rng
    if rng.below(0.7):
        tools = dict.fromkeys(SUBAGENT_OFF, False)
        if rng.below(0.6):
            tools["task"] = False
        tools.update(dict.fromkeys(c.primary_tools, False))
        return tools
    return {tool.name: rng.below(0.7) for tool in TOOLS if rng.below(0.2)}
