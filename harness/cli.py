"""The ``harness`` command: a thin dispatcher over ``harness.commands``.

However a command ends, it says so in one line at most. Bad input (a ``UsageError``,
``DatasetError``, ``SchemaError`` or ``RunError``, input nested too deeply to decode, a file that
cannot be read or written) is ``harness COMMAND: error: ...`` on stderr and exit status 2. Ctrl-C is
``harness COMMAND: interrupted`` and exit status 130 (128 + the signal's number for the signals a
run takes as Ctrl-C), from the moment ``main`` starts: this module imports nothing heavy, and the
commands (with everything they import) load inside ``main``, where an interrupt is caught like any
other (one that lands in a finalizer, where Python only reports it and the command runs on, ends
the command interrupted as it returns). Text from the command line and from files is shown
through ``harness.terminal.visible``.
"""

from __future__ import annotations

import sys

from harness import __version__

TYPE_CHECKING = False  # typing itself is not imported here: it takes longer than everything else
if TYPE_CHECKING:
    import argparse

COMMANDS = (
    "generate",
    "import_",
    "export",
    "census",
    "verify",
    "list",
    "bench",
    "compare",
    "report",
    "advise",
    "trial",
    "profile",
    "history",
    "bisect_range",
    "merge",
)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    from harness.commands.options import Parser

    parser = Parser(prog="harness", description="What varied object shapes cost Python, measured.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(f"harness.commands.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv`` (default: the command line) names; its exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    swallowed: list[KeyboardInterrupt] = []
    reported = sys.unraisablehook

    def note_swallowed(unraisable: sys.UnraisableHookArgs) -> None:
        # An interrupt that lands in a finalizer (``__del__``, a weakref callback) cannot propagate:
        # the interpreter only reports it and the command goes on. Keep it, and say nothing yet.
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            swallowed.append(unraisable.exc_value)
        else:
            reported(unraisable)

    sys.unraisablehook = note_swallowed
    try:
        status = _dispatch(argv)
    except KeyboardInterrupt as interrupt:
        return _interrupted(argv, interrupt)
    except RuntimeError as error:
        # Python 3.11 wraps an interrupt that lands while a class is made (``__set_name__``, as a
        # command's dataclasses load) in a RuntimeError caused by it: still Ctrl-C.
        if isinstance(error.__cause__, KeyboardInterrupt):
            return _interrupted(argv, error.__cause__)
        raise
    finally:
        sys.unraisablehook = reported
    if swallowed and status < 128:  # the command ran on after a swallowed Ctrl-C: still interrupted
        return _interrupted(argv, swallowed[0])
    return status


def _interrupted(argv: list[str], interrupt: KeyboardInterrupt) -> int:
    """Say the command was interrupted; exit status 128 + the signal's number."""
    import signal

    # An interrupt that escaped an exec() of source text (dataclasses make their methods so) marks
    # CPython 3.11 to kill itself with SIGINT at exit, whatever main returns; a completed exec of
    # text clears the mark, so the exit status is the one returned here.
    exec("")
    print(f"{_prefix(argv)}: interrupted", file=sys.stderr)
    return 128 + getattr(interrupt, "signum", signal.SIGINT)


def _prefix(argv: list[str]) -> str:
    """``harness COMMAND``: the command ``argv`` names (its first word, as the top level takes no
    option with a value), known before the command line is parsed."""
    from harness.terminal import visible

    words = [word for word in argv if not word.startswith("-")]
    return visible(f"harness {words[0]}" if words else "harness")


def _dispatch(argv: list[str]) -> int:
    """Parse ``argv`` and run its command; bad input is one line on stderr and exit status 2."""
    from harness.commands.options import UsageError
    from harness.runs.files import RunError
    from harness.schemas import SchemaError
    from harness.store import DatasetError

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error already said on stderr
        return int(done.code or 0)
    try:
        return args.run(args)
    except (UsageError, DatasetError, SchemaError, RunError) as error:
        return _error(argv, str(error))
    except RecursionError:  # JSON nested deeper than the interpreter can decode
        return _error(argv, "the input nests too deeply to read")
    except BrokenPipeError:  # the reader of the output went away (``| head``): nothing more to say
        _discard_output()
        return 0
    except OSError as error:  # a file that cannot be read or written, a full disk
        _discard_output()
        return _error(argv, _os_error(error))


def _os_error(error: OSError) -> str:
    """``FILE: reason``; ``SOURCE -> DESTINATION: reason`` for a copy or rename, whose failure may
    be either file's (a copy that outgrows the file size limit is the destination's)."""
    reason = str(error.strerror or error)
    if error.filename is None:
        return reason
    if error.filename2 is not None:
        return f"{error.filename} -> {error.filename2}: {reason}"
    return f"{error.filename}: {reason}"


def _error(argv: list[str], message: str) -> int:
    """Say ``message`` on one line of stderr; exit status 2."""
    from harness.terminal import visible

    print(f"{_prefix(argv)}: error: {visible(message)}", file=sys.stderr)
    return 2


def _discard_output() -> None:
    """Send the rest of stdout to the null device when it cannot be written, so the interpreter's
    last flush at exit finds nothing to complain about."""
    if sys.stdout is None:  # started with stdout closed
        return
    try:
        sys.stdout.flush()
    except OSError:
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
