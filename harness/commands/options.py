"""Argument types and option groups shared by several subcommands."""

from __future__ import annotations

import argparse
import math
from typing import Optional

from harness.generate import PROFILES, Generated
from harness.rng import MODULUS


class UsageError(Exception):
    """Bad usage or bad input: reported on one line, exit status 2."""


def count(text: str) -> int:
    """A non-negative integer size."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def positive(text: str) -> int:
    """A positive integer."""
    value = count(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def seed(text: str) -> int:
    """An LCG seed, 0..2**32-1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None
    if not 0 <= value < MODULUS:
        raise argparse.ArgumentTypeError(f"seed must be in 0..{MODULUS - 1}, got {text}")
    return value


def average(text: str) -> float:
    """A finite non-negative number (average part count)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite non-negative number, got {text!r}")
    return int(value) if value.is_integer() else value


def add_generation(parser: argparse.ArgumentParser, default_profile: Optional[str] = "reference",
                   messages_required: bool = True) -> None:
    """Options that choose a generated dataset: profile, seed, sizes."""
    parser.add_argument("--profile", choices=PROFILES, default=default_profile,
                        help="generator profile (default: %(default)s)")
    parser.add_argument("--seed", type=seed, default=11, help="LCG seed, 0..2^32-1 (default: %(default)s)")
    parser.add_argument("--messages", type=count, required=messages_required, help="number of messages")
    parser.add_argument("--avg-parts", type=average, default=None,
                        help="average parts per message (reference default 0, realistic its profile default)")
    parser.add_argument("--sessions", type=positive, default=None,
                        help="number of sessions (realistic profile only)")


def generate_from_args(args: argparse.Namespace) -> Generated:
    """Run the generator the options describe; bad parameters become usage errors."""
    from harness.generate import generate

    try:
        return generate(args.profile, args.seed, args.messages, args.avg_parts, args.sessions)
    except ValueError as error:
        raise UsageError(str(error)) from None
