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
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mdmjax",
        description="Exact evaluation of masked-diffusion unmasking schedules.",
    )
    no_cache = dict(
        action="store_true", help="do not use the compilation cache (see MDMJAX_CACHE_DIR)"
    )
    parser.add_argument("--no-cache", **no_cache)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    for command_parser in sub.choices.values():  # also accepted after the sub-command
        command_parser.add_argument("--no-cache", **no_cache, default=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    if not args.no_cache:  # warm starts: reuse compiled kernels ($MDMJAX_CACHE_DIR, 'off' disables)
        from mdmjax._src.compilation_cache import enable_compilation_cache

        try:
            enable_compilation_cache()
        except ValueError as err:
            print(f"mdmjax: warning: compilation cache off: {err}", file=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except ValueError as err:
        print(f"mdmjax {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
