"""The ``mdmjax`` command.

Sub-commands live in their own modules; each exposes ``register(subparsers)``, which adds a
parser and sets ``func(args) -> int`` as its default. Add a module to ``SUBCOMMAND_MODULES`` to
expose it.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMAND_MODULES = [
    "mdmjax.cli.report",
    "mdmjax.cli.policies",
    "mdmjax.cli.bench",
    "mdmjax.cli.schedules",
    "mdmjax.cli.calibrate",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mdmjax",
        description="Exact evaluation of masked-diffusion unmasking schedules.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except ValueError as err:
        print(f"mdmjax {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
