"""The parser class, argument types and option groups shared by the subcommands.

Every numeric option has a range, refused outside it in one line with exit status 2 (NaN,
infinities and text included): ``--messages`` 0 to ``MAX_COUNT``, ``--sessions`` 1 to
``MAX_SESSIONS``, ``--seed`` 0 to 2**32 - 1, ``--avg-parts`` 0 to ``MAX_AVG_PARTS``, ``--timeout``
above 0 up to ``MAX_TIMEOUT`` seconds, ``--threshold`` ``MIN_FACTOR`` to ``MAX_FACTOR``, any other
positive count (``--largest``) 1 to ``MAX_COUNT``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable, List, NoReturn, Optional, Tuple, Type

from harness.generate import PROFILES, Generated, Spec
from harness.generate.realistic_params import MAX_SESSIONS
from harness.rng import MODULUS
from harness.runs.results import MAX_TIMEOUT
from harness.strategies.base import Strategy

#: The most a count may be: messages, sessions to import (a billion: far beyond any memory here).
MAX_COUNT = 10**9
#: The most parts a message may have on average.
MAX_AVG_PARTS = 1000
#: The smallest and largest factor ``harness compare --threshold`` takes.
MIN_FACTOR, MAX_FACTOR = 1.01, 10.0


class UsageError(Exception):
    """Bad usage or bad input: reported on one line, exit status 2."""


#: A double-backquoted literal of a docstring (``harness bench``), shown in help as its text alone.
_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)


def plain(text: str) -> str:
    """Help text without the docstrings' markup: a literal in double backquotes shown as its text."""
    return _LITERAL.sub(r"\1", text)


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help, wrapped to the terminal's width as argparse wraps it (``COLUMNS`` when set),
    without the docstrings' markup (``plain``), and with a description's paragraphs (blank-line
    separated) kept apart rather than run together."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        fill = super()._fill_text
        return "\n\n".join(fill(paragraph, width, indent) for paragraph in re.split(r"\n\s*\n", plain(text).strip()))

    def _split_lines(self, text: str, width: int) -> List[str]:
        return super()._split_lines(plain(text), width)


class Parser(argparse.ArgumentParser):
    """An argument parser whose help is plain text that fits the terminal (``HelpFormatter``) and
    whose usage errors are one line on stderr (control characters escaped,
    ``harness.terminal.visible``) and exit status 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        from harness.terminal import visible

        self.exit(2, f"{self.prog}: error: {visible(message)}\n")


def _checked(text: str, parse: Callable[[str], Any], valid: Callable[[Any], bool], expected: str) -> Any:
    """``parse(text)`` when it parses and is valid; otherwise an argparse error naming ``expected``.
    ``valid`` compares with bounds, so NaN (no comparison holds) is never valid."""
    try:
        value = parse(text)
    except (ValueError, OverflowError):
        value = None
    if value is None or not valid(value):
        raise argparse.ArgumentTypeError(f"{expected}, got {text!r}")
    return value


def count(text: str) -> int:
    """A number of messages: an integer from 0 to ``MAX_COUNT``."""
    return _checked(
        text, int, lambda value: 0 <= value <= MAX_COUNT, f"expected a non-negative integer up to {MAX_COUNT:,}"
    )


def positive(text: str) -> int:
    """A positive integer up to ``MAX_COUNT``."""
    return _checked(text, int, lambda value: 0 < value <= MAX_COUNT, f"expected a positive integer up to {MAX_COUNT:,}")


def sessions(text: str) -> int:
    """A number of sessions to generate: 1 to ``MAX_SESSIONS``."""
    return _checked(
        text, int, lambda value: 0 < value <= MAX_SESSIONS, f"expected a positive integer up to {MAX_SESSIONS:,}"
    )


def seed(text: str) -> int:
    """An LCG seed, 0..2**32-1."""
    return _checked(text, int, lambda value: 0 <= value < MODULUS, f"seed must be in 0..{MODULUS - 1}")


def average(text: str) -> float:
    """An average part count: a number from 0 to ``MAX_AVG_PARTS``."""
    value = _checked(
        text,
        float,
        lambda value: 0 <= value <= MAX_AVG_PARTS,
        f"expected a finite non-negative number up to {MAX_AVG_PARTS}",
    )
    return int(value) if value.is_integer() else value


def seconds(text: str) -> float:
    """A number of seconds a job may take: above 0, at most ``MAX_TIMEOUT`` (a wait that long
    still fits the system's timers)."""
    return _checked(
        text,
        float,
        lambda value: 0 < value <= MAX_TIMEOUT,
        f"expected a number of seconds > 0, at most {MAX_TIMEOUT:g} s (a week)",
    )


def factor(text: str) -> float:
    """A threshold factor: ``MIN_FACTOR`` to ``MAX_FACTOR``."""
    return _checked(
        text,
        float,
        lambda value: MIN_FACTOR <= value <= MAX_FACTOR,
        f"expected a factor above 1, from {MIN_FACTOR} to {MAX_FACTOR:g} (e.g. 1.10)",
    )


def input_file(text: str) -> Path:
    """A file to read: refused when something else is there (a directory; a FIFO or a device,
    whose read would block or never end); a path with nothing there is left to the reader to name."""
    path = Path(text)
    if path.exists() and not path.is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is not a regular file")
    return path


def assignment(text: str) -> Tuple[str, Any]:
    """``NAME=VALUE`` with VALUE read as JSON (numbers, lists), else kept as a string."""
    name, separator, raw = text.partition("=")
    if not separator or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return name.strip(), tuple(value) if isinstance(value, list) else value


DEFAULT_PROFILE, DEFAULT_SEED = "reference", 11
#: The options that choose a generated dataset, by attribute.
GENERATION_FLAGS = {
    "profile": "--profile",
    "seed": "--seed",
    "messages": "--messages",
    "avg_parts": "--avg-parts",
    "sessions": "--sessions",
    "set": "--set",
}


#: Where a command that makes a dataset writes it unless ``--out`` says.
DATASETS = Path("datasets")


def dataset_out(given: Optional[Path], name: str) -> Path:
    """The file a dataset is written to: ``--out`` as given, or ``name`` inside it when it is a
    directory, or ``name`` in DATASETS (made when missing) when it is not given."""
    from harness.store import ensure_directory

    if given is None:
        ensure_directory(DATASETS)
        return DATASETS / name
    return given / name if given.is_dir() else given


def dataset_out_help(default: str) -> str:
    """The help of a dataset-making command's ``--out``, its default file named."""
    return f"dataset file, or a directory to write it in (default: {DATASETS}/{default})"


def add_generation(parser: argparse.ArgumentParser, messages_required: bool = True) -> None:
    """Options that choose a generated dataset: profile, seed, sizes. Unset options stay None (so
    a command can tell what was given); ``generation_spec`` fills in the defaults."""
    parser.add_argument("--profile", choices=PROFILES, default=None, help="generator profile (default: reference)")
    parser.add_argument("--seed", type=seed, default=None, help="LCG seed, 0..2^32-1 (default: 11)")
    parser.add_argument(
        "--messages", type=count, required=messages_required, help=f"number of messages, 0 to {MAX_COUNT:,}"
    )
    parser.add_argument(
        "--avg-parts",
        type=average,
        default=None,
        help=f"average parts per message, 0 to {MAX_AVG_PARTS} (reference default 0, realistic its profile default)",
    )
    parser.add_argument(
        "--sessions",
        type=sessions,
        default=None,
        help=f"number of sessions, 1 to {MAX_SESSIONS:,} (realistic profile only)",
    )
    parser.add_argument(
        "--set",
        type=assignment,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a realistic-profile parameter (a RealisticParams field), e.g. --set compaction_every=0; repeatable",
    )


def given_generation_flags(args: argparse.Namespace) -> List[str]:
    """The generation options given on the command line."""
    return [flag for name, flag in GENERATION_FLAGS.items() if getattr(args, name, None) not in (None, [])]


def refuse_generation_with(args: argparse.Namespace, option: str) -> None:
    """UsageError when ``option`` (which reads a stored dataset) comes with generation options."""
    given = given_generation_flags(args)
    if given:
        raise UsageError(f"{option} reads a stored dataset; it takes no {', '.join(given)}")


def generation_spec(args: argparse.Namespace) -> Spec:
    """The generation the options describe, defaults filled in."""
    return Spec(
        args.profile or DEFAULT_PROFILE,
        DEFAULT_SEED if args.seed is None else args.seed,
        args.messages,
        args.avg_parts,
        args.sessions,
        dict(args.set),
    )


def generate_from_args(args: argparse.Namespace, out: Optional[Path] = None) -> Generated:
    """Run the generator the options describe; bad parameters, and a generation that would not fit
    in free memory (or its file, at ``out``, on the free disk), become usage errors."""
    from harness.generate import footprint

    spec = generation_spec(args)
    try:
        footprint.check(spec, out)
        return spec.generate()
    except ValueError as error:
        raise UsageError(str(error)) from None


def add_strategies(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--strategies",
        default=default,
        help="comma-separated strategy names (cached:<name> wraps one in the row cache), "
        "or 'all' for every available one (default: %(default)s)",
    )


def chosen_strategies(text: str, controls: bool = True, schema: Any = None) -> List[Type[Strategy]]:
    """Strategies named on the command line, built for ``schema`` (None: the built-in one). With
    ``all`` the unavailable ones (and, unless ``controls``, the controls) are skipped with a note on
    stderr; one named explicitly but unavailable here, or a control where none is wanted, is a usage
    error."""
    from harness.strategies import Unavailable, UnknownStrategy, all_strategies, get, get_available

    if text == "all":
        chosen = []
        for name in all_strategies():
            strategy = get(name, schema)
            ok, reason = strategy.available()
            if strategy.control and not controls:
                continue
            if ok:
                chosen.append(strategy)
            else:
                print(f"note: skipping strategy {name}: {reason}", file=sys.stderr)
        return chosen
    chosen = []
    for name in dict.fromkeys(part.strip() for part in text.split(",") if part.strip()):
        try:
            strategy = get_available(name, schema)
        except (UnknownStrategy, Unavailable) as error:
            raise UsageError(str(error)) from None
        if strategy.control and not controls:
            raise UsageError(f"{name!r} is a control, not a strategy; it has nothing to check here")
        chosen.append(strategy)
    if not chosen:
        raise UsageError("no strategy named")
    return chosen
