"""The ``mdmjax`` command.

Sub-commands live in their own modules; each exposes ``register(subparsers)``, which adds a
parser and sets ``func(args) -> int`` as its default. Add a module to ``SUBCOMMAND_MODULES`` to
expose it. The law flags (``--family --n --q --param --seed --from-npy [--z-npy] [--samples]``)
and the output flags (``--json PATH``, ``--plot PATH``) are the same on every command: they come
from :mod:`mdmjax.cli._law`.

Errors: bad input is one line on stderr that names the flag (``mdmjax report: error: --n: ...``),
exit code 2, never a traceback (set ``MDMJAX_DEBUG=1`` to see one). Output paths (``--json``,
``--npy``, ``--plot``, ``--checkpoint``) are checked writable before any work. ``python -m
mdmjax`` is the same command.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

SUBCOMMAND_MODULES = [
    "mdmjax.cli.report",
    "mdmjax.cli.policies",
    "mdmjax.cli.bench",
    "mdmjax.cli.schedules",
    "mdmjax.cli.calibrate",
    "mdmjax.cli.sample",
    "mdmjax.cli.data",
]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block): ``mdmjax report: error: --n: ...``."""

    def error(self, message: str):
        if message.startswith("argument "):  # "argument --n: invalid int value" -> "--n: ..."
            message = message[len("argument ") :]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
        _plain_help(command_parser)
    return parser


def _plain_help(parser: argparse.ArgumentParser) -> None:
    """``--help`` in plain text: the docstrings' reStructuredText roles and literals removed."""
    from mdmjax.cli._flags import plain

    if parser.description:
        parser.description = plain(parser.description)
    for action in parser._actions:
        if isinstance(action.help, str) and action.help != argparse.SUPPRESS:
            action.help = plain(action.help)


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


# Commands whose batches are split over the processes of a torchrun / jax.distributed launch.
_SPLIT_COMMANDS = ("calibrate", "sample")


def _join_torchrun(args) -> None:
    """Under ``torchrun`` (``WORLD_SIZE > 1``): join a gloo process group (docs/scaling.md);
    ranks other than 0 print nothing and write no output files (rank 0 holds the same result)."""
    world = os.environ.get("WORLD_SIZE", "1")
    if not world.isdigit() or int(world) <= 1 or "RANK" not in os.environ:
        return
    try:
        import torch.distributed as dist
    except ImportError:
        raise ValueError(
            f"WORLD_SIZE: launched by torchrun with {world} processes, but torch is not "
            "installed (pip install mdmjax[torch])"
        ) from None
    if not dist.is_initialized():
        dist.init_process_group("gloo")
    if dist.get_rank() != 0:
        for name in ("json", "plot", "npy"):
            if getattr(args, name, None):
                setattr(args, name, None)
        args.quiet = True
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the process


def main(argv: list[str] | None = None) -> int:
    from mdmjax.cli._flags import check_outputs
    from mdmjax.cli._law import flag_message, parse_params

    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # named by the sub-command that got them, with its --help
            command = getattr(args, "command", None)
            sub = _subparser(parser, command) if command else parser
            sub.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exit_:  # --help (0) or a usage error (2, one line already printed)
        return int(exit_.code or 0)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:  # every output path, before any work
        check_outputs(args)
    except ValueError as err:
        print(f"mdmjax {args.command}: error: {err}", file=sys.stderr)
        return 2
    if not args.no_cache:  # warm starts: reuse compiled kernels ($MDMJAX_CACHE_DIR, 'off' disables)
        from mdmjax._src.compilation_cache import enable_compilation_cache

        try:
            enable_compilation_cache()
        except ValueError as err:
            print(f"mdmjax: warning: compilation cache off: {err}", file=sys.stderr)
    try:
        if args.command in _SPLIT_COMMANDS:
            _join_torchrun(args)
        return int(args.func(args) or 0)
    except (ValueError, MemoryError) as err:
        if os.environ.get("MDMJAX_DEBUG"):
            raise
        try:
            params = parse_params(getattr(args, "param", None) or [])
        except ValueError:
            params = {}
        table = f"--from-npy {args.from_npy}" if getattr(args, "from_npy", None) else "--family/--n"
        msg = flag_message(err, params=params, table_flag=table)
        if isinstance(err, MemoryError):
            msg = f"out of memory ({msg}); give a smaller law (--n, --q or --from-npy)"
        print(f"mdmjax {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mdmjax {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001  (a bug, not bad input: still one line, exit 1)
        if os.environ.get("MDMJAX_DEBUG"):
            raise
        text = str(err).strip().splitlines()[0] if str(err).strip() else ""
        print(
            f"mdmjax {args.command}: internal error: {type(err).__name__}: {text[:300]} "
            "(rerun with MDMJAX_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
