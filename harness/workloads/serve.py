"""The ``serve`` workload: a replay of one long-lived opencode serve process.

Several sessions are in flight, the dataset's ``sessions`` longest (each a ``GrowingSession`` started
at ``size`` messages), and they take agent-loop iterations in turn. Iteration ``j`` of the process is
one of session ``j mod sessions``: it appends ``growth`` messages, re-reads the history with
opencode's full read (``filter_compacted``) through the strategy read with ``framework`` frames per
row (closures standing for the Effect generator frames opencode reads its history through), injects
the synthetic part, publishes the newest messages' events into the event fan-out buffer (a ring of
the last ``fanout`` events), and then holds the history and its frames until that session's next
iteration (a suspended prompt holds them while the model streams), releasing the previous ones. The
strategy, and so a ``cached:`` strategy's row cache, is one for the whole process.

What a serve builds is a function of the dataset, strategy, size, parameters and rounds. Only the GC
probe runs it (``harness.measure.gcprobe``: ballast, warm-up, the window at ``rate``, the peak); its
memory is estimated at bind time and a job that would not fit is refused (``serve_budget``).
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, ClassVar, Deque, Dict, List, Optional, Sequence, Tuple, Type

from harness.protocol.job import Job, JobError
from harness.store import Dataset
from harness.strategies.base import Strategy
from harness.workloads.binding import Prepared, sessions_by_size, too_few
from harness.workloads.history import GrowingSession, inject_synthetic
from harness.workloads.opencode import Message, filter_compacted
from harness.workloads.serve_budget import MIB, Estimate, check, estimate, visits

#: A framework frame: a closure over a row read.
Frame = Callable[[], int]
#: What a session holds between its iterations: its latest history and the frames its read made.
State = Tuple[List[Message], List[Frame]]
#: One event of the fan-out buffer: ``{"type": "message.updated", "info": ...}`` or ``message.part.updated``.
Event = Dict[str, Any]
#: Bytes of one ballast record: a 1,000-character string and its container.
BALLAST_RECORD_BYTES = 1100


def frame(row: Tuple, k: int) -> Frame:
    """Frame ``k`` of a row read: a function and its closure cells."""
    return lambda: len(row[0]) + k


class Framed(Strategy):
    """A strategy read through framework frames (``framed`` makes one per process): every ``info`` /
    ``part`` call first appends its row's frames to ``frames``, the frame list of the read in progress."""

    frames: ClassVar[List[Frame]] = []

    @classmethod
    def new_read(cls) -> List[Frame]:
        """A new frame list for the next read; the previous one stays with whoever holds it."""
        cls.frames = []
        return cls.frames


def framed(strategy: Type[Strategy], framework: int) -> Type[Framed]:
    """``strategy`` read with ``framework`` frames per row, ``frame(row, k)`` for k in 0..framework-1;
    a cached strategy's cache stays inside (a hit makes its frames too)."""
    ks = range(framework)

    def through(build: Callable[[Tuple], Any]) -> Callable[[Tuple], Any]:
        def read(row: Tuple) -> Any:
            Through.frames.extend([frame(row, k) for k in ks])
            return build(row)

        return read

    class Through(Framed):
        name = strategy.name
        description = f"{strategy.name} read through {framework} framework frames per row"
        info = staticmethod(through(strategy.info))
        part = staticmethod(through(strategy.part))
        field = staticmethod(strategy.field)
        to_dict = staticmethod(strategy.to_dict)

    return Through


class ServeProcess:
    """The serve process: its sessions, the strategy they are read through, the event buffer and what
    each session holds between its iterations. ``iteration(j)`` runs iteration ``j`` of the process;
    calling the process runs the next iteration of its measured window (round 0 first)."""

    def __init__(
        self,
        sessions: Sequence[GrowingSession],
        strategy: Type[Strategy],
        growth: int,
        framework: int,
        fanout: int,
        budget: Estimate,
    ) -> None:
        self.sessions = list(sessions)
        self.strategy = strategy
        self.growth = growth
        self.framed = framed(strategy, framework) if framework else None
        self.reader: Type[Strategy] = self.framed or strategy
        self.events: Deque[Event] = deque(maxlen=fanout)
        self.events_published = 0
        self.states: List[Optional[State]] = [None] * len(self.sessions)
        #: The memory estimate the job was admitted with.
        self.budget = budget
        self.round = 0

    @property
    def session_ids(self) -> List[str]:
        return [session.session_id for session in self.sessions]

    def size_of(self, index: int) -> int:
        """Messages session ``index`` holds now."""
        return self.sessions[index].size

    @property
    def frames_held(self) -> int:
        """Frames the sessions hold now, over all of them."""
        return sum(len(state[1]) for state in self.states if state is not None)

    @property
    def cache(self) -> Optional[Dict[str, Dict[str, int]]]:
        """The row cache's counters for infos and parts (a ``cached:`` strategy), else None."""
        infos, parts = getattr(self.strategy, "info_cache", None), getattr(self.strategy, "part_cache", None)
        return None if infos is None or parts is None else {"info": infos.stats(), "part": parts.stats()}

    def warm_up(self) -> None:
        """One iteration of each session, in order."""
        for j in range(len(self.sessions)):
            self.iteration(j)

    def iteration(self, j: int) -> List[Message]:
        """Iteration ``j``: session ``j mod sessions`` grows, reads, injects, publishes and holds
        the history read (which it returns) and its frames."""
        index = j % len(self.sessions)
        session = self.sessions[index]
        session.grow(self.growth)
        frames = self.framed.new_read() if self.framed is not None else []
        history = filter_compacted(session.conn, self.reader, session.session_id)
        inject_synthetic(history, self.strategy)
        self._publish(history[len(history) - min(self.growth, len(history)) :])
        self.states[index] = (history, frames)
        return history

    def __call__(self) -> List[Message]:
        """The next iteration of the measured window."""
        history = self.iteration(self.round)
        self.round += 1
        return history

    def _publish(self, messages: List[Message]) -> None:
        """The events of ``messages``, oldest first: the message's, then one per part."""
        append = self.events.append
        for message in messages:
            append({"type": "message.updated", "info": message["info"]})
            for part in message["parts"]:
                append({"type": "message.part.updated", "part": part})
            self.events_published += 1 + len(message["parts"])


def ballast(retain_mb: int) -> List[List[Any]]:
    """``retain_mb`` MiB of other long-lived state: records of a unique 1,000-character string in a
    list (a container the GC tracks)."""
    return [[i, str(i).rjust(1000, ".")] for i in range(retain_mb * MIB // BALLAST_RECORD_BYTES)]


def bind_serve(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
    """The job's serve process (``Prepared.run``): its sessions chosen, long enough for ``rounds``
    iterations, and its memory estimated and admitted."""
    params = job.params
    count, growth, framework = params["sessions"], params["growth"], params["framework"]
    if job.session is not None:
        raise JobError(f"serve runs the dataset's {count} longest sessions; the job names session {job.session!r}")
    if rounds is None:
        raise JobError("this measurer calls the workload an unknown number of times; serve needs a set number")
    found = sessions_by_size(dataset.conn, count)
    if len(found) < count:
        raise JobError(f"dataset {dataset.path} has {len(found)} sessions; {count} were asked for")
    turns = visits(rounds, count)
    for session_id, messages in found:
        if messages < job.size + turns * growth:
            raise too_few(f"session {session_id!r}", messages, f"{job.size} + {turns} × {growth}")
    ids = [session_id for session_id, _ in found]
    budget = estimate(dataset.conn, ids, job.size, rounds, growth, framework, params["retain_mb"])
    check(budget)
    needed = job.size + turns * growth  # a session's rows beyond these are never read: not loaded
    sessions = [GrowingSession(dataset.conn, session_id, job.size, needed) for session_id in ids]
    process = ServeProcess(sessions, strategy, growth, framework, params["fanout"], budget)
    return Prepared(strategy, process, job.size, "message", dataset)
