"""Argument types and option groups shared by several subcommands."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple, Type

from harness.generate import PROFILES, Generated, Spec
from harness.rng import MODULUS
from harness.strategies.base import Strategy


class UsageError(Exception):
    """Bad usage or bad input: reported on one line, exit status 2."""


def _checked(text: str, parse: Callable[[str], Any], valid: Callable[[Any], bool], expected: str) -> Any:
    """``parse(text)`` when it parses and is valid; otherwise an argparse error naming ``expected``."""
    try:
        value = parse(text)
    except ValueError:
        value = None
    if value is None or not valid(value):
        raise argparse.ArgumentTypeError(f"{expected}, got {text!r}")
    return value


def count(text: str) -> int:
    """A non-negative integer size."""
    return _checked(text, int, lambda value: value >= 0, "expected a non-negative integer")


def positive(text: str) -> int:
    """A positive integer."""
    return _checked(text, int, lambda value: value > 0, "expected a positive integer")


def seed(text: str) -> int:
    """An LCG seed, 0..2**32-1."""
    return _checked(text, int, lambda value: 0 <= value < MODULUS, f"seed must be in 0..{MODULUS - 1}")


def average(text: str) -> float:
    """A finite non-negative number (average part count)."""
    value = _checked(
        text, float, lambda value: math.isfinite(value) and value >= 0, "expected a finite non-negative number"
    )
    return int(value) if value.is_integer() else value


def seconds(text: str) -> float:
    """A finite positive number of seconds."""
    return _checked(text, float, lambda value: math.isfinite(value) and value > 0, "expected a number of seconds > 0")


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


GENERATION_DEFAULTS = {"profile": "reference", "seed": 11}
#: The options that choose a generated dataset, by attribute.
GENERATION_FLAGS = {
    "profile": "--profile",
    "seed": "--seed",
    "messages": "--messages",
    "avg_parts": "--avg-parts",
    "sessions": "--sessions",
    "set": "--set",
}


def add_generation(parser: argparse.ArgumentParser, messages_required: bool = True) -> None:
    """Options that choose a generated dataset: profile, seed, sizes. Unset options stay None (so
    a command can tell what was given); ``generation_spec`` fills in the defaults."""
    parser.add_argument("--profile", choices=PROFILES, default=None, help="generator profile (default: reference)")
    parser.add_argument("--seed", type=seed, default=None, help="LCG seed, 0..2^32-1 (default: 11)")
    parser.add_argument("--messages", type=count, required=messages_required, help="number of messages")
    parser.add_argument(
        "--avg-parts",
        type=average,
        default=None,
        help="average parts per message (reference default 0, realistic its profile default)",
    )
    parser.add_argument("--sessions", type=positive, default=None, help="number of sessions (realistic profile only)")
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
        args.profile or GENERATION_DEFAULTS["profile"],
        GENERATION_DEFAULTS["seed"] if args.seed is None else args.seed,
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
