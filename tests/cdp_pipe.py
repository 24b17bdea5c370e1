"""A small Chrome DevTools Protocol client over Chromium's debugging pipe, standard library only.

Chromium started with ``--remote-debugging-pipe`` reads commands on fd 3 and writes answers and
events on fd 4, each message a JSON object ended by a NUL byte. That is all the browser check
needs from a client, so it speaks the protocol itself instead of installing playwright (167 MB)
to drive the same system Chromium. Every wait has a deadline and fails with a sentence naming
what never came; leaving the ``with`` block kills the browser's whole process group.
"""

import base64
import contextlib
import fcntl
import json
import os
import select
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
)
COMMANDS_FD, MESSAGES_FD = 3, 4  # where Chromium's --remote-debugging-pipe expects its ends
LOG_TAIL = 800  # characters of Chromium's own output quoted when it fails
EXIT_WAIT = 5.0  # seconds to wait for the exit status of a Chromium that closed its pipe

Handler = Callable[[dict], Any]


class ChromiumError(RuntimeError):
    """Chromium failed, refused a command, or did not answer in time."""


def high_copy(fd: int) -> int:
    """A close-on-exec copy of ``fd`` numbered above Chromium's two pipe descriptors (the original closed)."""
    copy = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, MESSAGES_FD + 1)
    os.close(fd)
    return copy


class Chromium:
    """One headless Chromium with one page, driven over its debugging pipe; use it as a context manager.

    Commands go to the page once ``open_page`` has attached to it. Event handlers registered with
    ``on`` run while any wait reads messages; they answer with ``post``, which does not wait."""

    def __init__(self, executable: Path, profile: Path, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.seen: Counter[str] = Counter()  # events read so far, by method
        self.session = ""
        self._handlers: dict[str, Handler] = {}
        self._awaited: set[int] = set()  # ids of commands someone waits on
        self._answers: dict[int, dict] = {}  # their answers, until taken
        self._posted: dict[int, str] = {}  # command id -> method, for commands no one waits on
        self._next_id = 0
        self._buffer = bytearray()
        profile.mkdir(parents=True, exist_ok=True)
        self._log = profile / "chromium-output.log"
        commands_read, commands_write = map(high_copy, os.pipe())
        messages_read, messages_write = map(high_copy, os.pipe())

        def give_pipe_ends() -> None:
            """In the child before exec: Chromium's ends at fds 3 and 4 (pass_fds keeps numbers, not moves them)."""
            os.dup2(commands_read, COMMANDS_FD)
            os.dup2(messages_write, MESSAGES_FD)

        command = [str(executable), *HEADLESS, f"--user-data-dir={profile}", "--remote-debugging-pipe"]
        try:
            with self._log.open("wb") as output:
                self.process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    close_fds=False,  # every other descriptor here is close-on-exec; 3 and 4 must stay open
                    preexec_fn=give_pipe_ends,
                    start_new_session=True,  # one process group, killed whole by close()
                )
        except BaseException:
            os.close(commands_write)
            os.close(messages_read)
            raise
        finally:
            os.close(commands_read)
            os.close(messages_write)
        self._commands, self._messages = commands_write, messages_read

    def __enter__(self) -> "Chromium":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill Chromium's process group, and close the pipe.

        Chromium's crash handlers start sessions of their own, out of reach; they quit with the browser."""
        with contextlib.suppress(ProcessLookupError):  # the group may already be gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=self.timeout)
        os.close(self._commands)
        os.close(self._messages)

    def on(self, method: str, handler: Handler) -> None:
        """Call ``handler(params)`` for every event ``method`` read from now on."""
        self._handlers[method] = handler

    def post(self, method: str, **params: Any) -> None:
        """Send a command without waiting for it; an error answer fails whichever wait reads it."""
        self._posted[self._send(method, params)] = method

    def call(self, method: str, **params: Any) -> dict:
        """Send a command and return its result, reading events meanwhile."""
        command_id = self._send(method, params)
        self._awaited.add(command_id)
        self.wait_until(lambda: command_id in self._answers, f"answer to {method}")
        self._awaited.discard(command_id)
        answer = self._answers.pop(command_id)
        if "error" in answer:
            raise ChromiumError(f"{method} failed: {answer['error'].get('message')}")
        return answer.get("result", {})

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        """Read messages until ``condition()`` holds; fail if it does not within the timeout."""
        deadline = time.monotonic() + self.timeout
        while not condition():
            if not self._read_one(deadline):
                raise ChromiumError(f"chromium sent no {what} within {self.timeout:g} s")

    def settle(self, seconds: float) -> None:
        """Keep reading (and handling) messages for ``seconds``."""
        deadline = time.monotonic() + seconds
        while self._read_one(deadline):
            pass

    def open_page(self, width: int, height: int) -> None:
        """Open a blank page with a ``width`` x ``height`` viewport and send later commands to it."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def navigate(self, url: str) -> None:
        """Load ``url`` in the page and wait for its load event (needs ``Page.enable``)."""
        loads = self.seen["Page.loadEventFired"]
        error = self.call("Page.navigate", url=url).get("errorText")
        if error:
            raise ChromiumError(f"{url} did not load: {error}")
        self.wait_until(lambda: self.seen["Page.loadEventFired"] > loads, f"load event for {url}")

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page; a thrown error fails."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise ChromiumError(f"the page could not evaluate {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        """A PNG of the whole page, beyond the viewport."""
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        return base64.b64decode(
            self.call("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True)["data"]
        )

    def _send(self, method: str, params: dict) -> int:
        """Write one command (to the page once attached) and return its id."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        data = json.dumps(message).encode() + b"\0"
        deadline = time.monotonic() + self.timeout
        while data:
            if not select.select([], [self._commands], [], max(0.0, deadline - time.monotonic()))[1]:
                raise ChromiumError(f"chromium read no commands for {self.timeout:g} s")
            try:
                data = data[os.write(self._commands, data) :]
            except BrokenPipeError:
                raise ChromiumError(f"chromium closed its pipe{self._exit_note()}") from None
        return self._next_id

    def _read_one(self, deadline: float) -> bool:
        """Read and dispatch one message; False if none is complete by ``deadline``."""
        end = self._buffer.find(b"\0")
        while end < 0:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._messages], [], [], left)[0]:
                return False
            chunk = os.read(self._messages, 1 << 16)
            if not chunk:
                raise ChromiumError(f"chromium closed its pipe{self._exit_note()}")
            self._buffer += chunk
            end = self._buffer.find(b"\0", len(self._buffer) - len(chunk))
        message = json.loads(self._buffer[:end])
        del self._buffer[: end + 1]
        self._dispatch(message)
        return True

    def _dispatch(self, message: dict) -> None:
        if "id" not in message:
            self.seen[message["method"]] += 1
            handler = self._handlers.get(message["method"])
            if handler:
                handler(message.get("params", {}))
        elif message["id"] in self._awaited:
            self._answers[message["id"]] = message
        elif "error" in message:
            method = self._posted.pop(message["id"], "a command")
            raise ChromiumError(f"{method} failed: {message['error'].get('message')}")
        else:
            self._posted.pop(message["id"], None)

    def _exit_note(self) -> str:
        try:
            status: object = self.process.wait(timeout=EXIT_WAIT)
        except subprocess.TimeoutExpired:
            status = "none yet"
        output = self._log.read_text(errors="replace")[-LOG_TAIL:] if self._log.exists() else ""
        return f" (exit status {status}); its last output:\n{output}"
