"""The ``harness`` command: a thin dispatcher over ``harness.commands``."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, NoReturn, Optional

from harness import __version__
from harness.commands.options import UsageError
from harness.schemas import SchemaError
from harness.store import DatasetError

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
)


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="harness", description="What varied object shapes cost Python, measured.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(f"harness.commands.{name}").add_parser(subparsers)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (UsageError, DatasetError, SchemaError) as error:
        print(f"harness {args.command}: error: {error}", file=sys.stderr)
        return 2
    except RecursionError:  # JSON nested deeper than the interpreter can decode
        print(f"harness {args.command}: error: the input nests too deeply to read", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"harness {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
