"""The flags every sub-command shares, and the one grammar for integer lists.

* **Law flags** (:func:`add_law_arguments`): ``--family NAME --n N --q Q --param KEY=VALUE
  --seed S``, or ``--from-npy FILE`` (a probability table), or — where a curve is enough —
  ``--z-npy FILE`` (``Z_1..Z_n``); ``--samples`` for Monte-Carlo routes. Old spellings
  (``--probs``, ``--coupling``, ``--field``) are hidden aliases.
* **Output flags** (:func:`add_output_arguments`): ``--json PATH`` (``-``: stdout), ``--plot
  PATH`` (no file unless given) and ``--quiet`` (no progress bars), on every command.
* **Integer lists** (:func:`parse_ints`): ``--steps``, ``--levels``, ``--always-revealed`` and
  the sizes of ``bench`` read ``"4"``, ``"1,2,4"``, ``"1:9"`` and ``"1:65:8"`` (``LO:HI[:STEP]``,
  both ends included) the same way.
* **Output paths** (:func:`check_outputs`): every output flag (``--json``, ``--npy``, ``--plot``,
  ``--checkpoint``) is checked writable before any work, for every command (``mdmjax.cli.main``).
* :func:`plain` turns a docstring's reStructuredText into the plain text of ``--help``.
* :func:`flag_message` turns a library message that starts with an argument name (``n:``,
  ``p:``) into one naming the flag. Figures are :class:`matplotlib.figure.Figure` objects saved
  with :func:`save_figure`: no command touches matplotlib's global state.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys

from mdmjax._src.tolerances import DISPLAY_ZERO

__all__ = [
    "add_law_arguments",
    "add_output_arguments",
    "check_outputs",
    "check_eps",
    "check_k",
    "check_positive",
    "flag_message",
    "fmt",
    "parse_ints",
    "parse_params",
    "parse_steps",
    "plain",
    "save_figure",
    "text_stream",
    "write_json",
]

# Library argument names -> the flag that sets them (for messages such as "n: must be >= 1").
_ARGUMENT_FLAGS = {
    "n": "--n",
    "q": "--q",
    "name": "--family",
    "family": "--family",
    "key": "--seed",
    "params": "--param",
    "num_samples": "--samples",
    "steps": "--steps",
    "steps_range": "--steps",
    "k": "--k",
    "eps": "--eps",
    "restarts": "--restarts",
    "num_iters": "--iters",
    "relaxation": "--relaxation",
    "model": "--model",
    "policies": "--policies",
}
_TABLE_ARGUMENTS = ("p", "probs", "d")  # the probability table
_CURVE_ARGUMENTS = ("z", "curve")


# ------------------------------------------------------------------------------------------------
# Flags
# ------------------------------------------------------------------------------------------------
def add_law_arguments(
    parser: argparse.ArgumentParser, *, z_npy: bool = False, samples: bool = True
) -> None:
    """Add the law flags (the same on every command)."""
    g = parser.add_argument_group(
        "the law",
        "With none of these: 4-letter English words (the data extra), else an Ising chain.",
    )
    g.add_argument("--family", metavar="NAME", help="a named family (mdm.families.by_name)")
    g.add_argument("--n", type=int, metavar="N", help="number of positions (with --family)")
    g.add_argument("--q", type=int, metavar="Q", help="alphabet size (family default)")
    g.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="family parameter, repeatable (VALUE is JSON or a string), e.g. --param coupling=0.8",
    )
    g.add_argument("--seed", type=int, default=0, help="seed for random families (default 0)")
    g.add_argument("--from-npy", metavar="FILE", help="a probability table saved by numpy.save")
    g.add_argument(  # hidden where a table is needed, so that law_spec can say why
        "--z-npy",
        metavar="FILE",
        help="an information curve Z_1..Z_n (1-D .npy)" if z_npy else argparse.SUPPRESS,
    )
    if samples:
        g.add_argument(
            "--samples",
            type=int,
            metavar="N",
            help="draws for Monte-Carlo curve routes (default 256)",
        )
    # Deprecated spellings (hidden): mapped onto the flags above by law_spec.
    g.add_argument("--probs", help=argparse.SUPPRESS)
    g.add_argument("--coupling", type=float, help=argparse.SUPPRESS)
    g.add_argument("--field", type=float, help=argparse.SUPPRESS)


def add_output_arguments(
    parser: argparse.ArgumentParser, *, plot: bool = True, bare_plot: bool = False
) -> None:
    """Add the output flags every command shares.

    ``--json PATH`` ('-': stdout, and the text goes to stderr), ``--plot PATH`` (no file unless
    given; with ``bare_plot``, a bare ``--plot`` means the ``--json`` path with ``.png``) and
    ``--quiet`` (no progress bars on stderr).
    """
    g = parser.add_argument_group("output")
    g.add_argument("--json", metavar="PATH", help="write the results as JSON ('-': stdout)")
    if plot and bare_plot:
        g.add_argument(
            "--plot",
            nargs="?",
            const="",
            default=None,
            metavar="PATH",
            help="write the figure (PNG); no file unless given; bare --plot: the --json path "
            "with .png",
        )
    elif plot:
        g.add_argument("--plot", metavar="PATH", help="write a figure (PNG); none unless given")
    g.add_argument("--quiet", action="store_true", help="no progress bars on stderr")


def write_json(obj, path: str) -> None:
    """Write ``obj`` to ``path`` (``-``: stdout); an unwritable path is a ``--json`` error."""
    if path == "-":
        json.dump(obj, sys.stdout, indent=1)
        print()
        return
    try:
        with open(path, "w") as fh:
            json.dump(obj, fh, indent=1)
    except OSError as err:
        raise ValueError(f"--json: cannot write {path}: {err.strerror or err}") from None


def save_figure(fig, path: str) -> None:
    """Save a matplotlib figure; an unwritable path is a ``--plot`` error."""
    try:
        fig.savefig(path, dpi=130, bbox_inches="tight")
    except (OSError, ValueError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise ValueError(f"--plot: cannot write {path}: {reason}") from None


def text_stream(args):
    """Where human-readable text goes: stderr when the JSON goes to stdout."""
    return sys.stderr if getattr(args, "json", None) == "-" else sys.stdout


def fmt(value, spec: str = ".6g") -> str:
    """A number for text output: ``|value| < DISPLAY_ZERO`` (round-off) shows as ``0``."""
    if value is None:
        return "-"
    v = float(value)
    if math.isfinite(v) and abs(v) < DISPLAY_ZERO:
        return "0"
    return format(v, spec)


# Output flags (argparse dest -> flag), checked writable before any work by check_outputs.
OUTPUT_FLAGS = {
    "json": "--json",
    "npy": "--npy",
    "plot": "--plot",
    "checkpoint": "--checkpoint",
}


def _unwritable(path: str) -> str | None:
    """Why ``path`` cannot be written (``None``: it can), without creating it."""
    full = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(full):
        return "it is a folder"
    parent = os.path.dirname(full)
    if not os.path.isdir(parent):
        return f"the folder {parent} does not exist"
    if os.path.exists(full):
        return None if os.access(full, os.W_OK) else "permission denied"
    return None if os.access(parent, os.W_OK | os.X_OK) else f"cannot create files in {parent}"


def check_outputs(args) -> None:
    """Every output path of a command, checked writable before its first model call.

    Looks at the flags of :data:`OUTPUT_FLAGS` that the command has and that are given
    (``-`` is stdout; a bare ``--plot`` follows ``--json``).

    Raises:
      ValueError: ``"--json: cannot write PATH: the folder ... does not exist"``, naming the flag.

    Examples:
      >>> import argparse
      >>> check_outputs(argparse.Namespace(json="-", npy=None))
      >>> check_outputs(argparse.Namespace(npy="/nonexistent/x.npy"))
      Traceback (most recent call last):
        ...
      ValueError: --npy: cannot write /nonexistent/x.npy: the folder /nonexistent does not exist
    """
    for dest, flag in OUTPUT_FLAGS.items():
        path = getattr(args, dest, None)
        if not isinstance(path, str) or path in ("", "-"):
            continue
        why = _unwritable(path)
        if why is not None:
            raise ValueError(f"{flag}: cannot write {path}: {why}")


_ROLE = re.compile(r":[a-z]+:`(~?)([^`<]*?)(?: <[^>]*>)?`")  # :func:`x`, :class:`~a.B`
_LITERAL = re.compile(r"``([^`]*)``")


def plain(text: str) -> str:
    """reStructuredText roles and literals as plain text (for ``--help``).

    Examples:
      >>> plain("``mdmjax sample``: see :func:`mdmjax.sample` and :class:`~mdmjax.ModelCurve`.")
      'mdmjax sample: see mdmjax.sample and ModelCurve.'
    """
    out = _ROLE.sub(lambda m: m.group(2).rsplit(".", 1)[-1] if m.group(1) else m.group(2), text)
    return _LITERAL.sub(r"\1", out)


# ------------------------------------------------------------------------------------------------
# Cheap argument checks
# ------------------------------------------------------------------------------------------------
def parse_params(items: list[str]) -> dict:
    """``["eta=0.2", "graph=cycle"]`` -> ``{"eta": 0.2, "graph": "cycle"}`` (JSON values)."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--param: expected KEY=VALUE, got {item!r}")
        if key in out:
            raise ValueError(f"--param: {key} given twice")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def parse_ints(
    values,
    flag: str,
    *,
    default_lo: int | None = 1,
    default_hi: int | None = None,
    what: str = "integers",
) -> list[int]:
    """Integers from the one list grammar of the CLI, in the order given (repeats kept).

    ``values`` is a string, an int, or a list of them (``nargs="+"``). Each is a comma list of
    integers and ranges ``LO:HI[:STEP]``, both ends included: ``"4"``, ``"1,2,4"``, ``"1:9"``,
    ``"1:65:8"`` (1, 9, .., 65). An empty ``LO`` means ``default_lo`` and an empty ``HI``
    ``default_hi`` (``--steps :`` is every step count up to ``n``).

    Raises:
      ValueError: ``"<flag>: ..."`` for text that is not in the grammar, or no integers at all.
    """
    if isinstance(values, str | int):
        values = [values]
    out: list[int] = []
    for text in values:
        for part in str(text).split(","):
            part = part.strip()
            if not part:
                continue
            try:
                if ":" in part:
                    bits = [b.strip() for b in part.split(":")]
                    if len(bits) > 3:
                        raise ValueError
                    lo = int(bits[0]) if bits[0] else default_lo
                    hi = int(bits[1]) if bits[1] else default_hi
                    step = int(bits[2]) if len(bits) > 2 and bits[2] else 1
                    if lo is None or hi is None or step < 1:
                        raise ValueError
                    out.extend(range(lo, hi + 1, step))
                else:
                    out.append(int(part))
            except ValueError:
                raise ValueError(
                    f"{flag}: expected integers, comma lists or LO:HI[:STEP] ranges, got {part!r}"
                ) from None
    if not out:
        raise ValueError(f"{flag}: no {what} given")
    return out


def parse_steps(values, n: int, *, flag: str = "--steps") -> list[int]:
    """Step counts from ``--steps`` (:func:`parse_ints`), each in ``[1, n]``, sorted, unique."""
    out = parse_ints(values, flag, default_lo=1, default_hi=n, what="step counts")
    bad = [k for k in out if not 1 <= k <= n]
    if bad:
        raise ValueError(f"{flag}: every step count must lie in [1, n = {n}], got {bad[0]}")
    return sorted(set(out))


def check_k(k: int | None, n: int, flag: str = "--k") -> int | None:
    if k is not None and not 1 <= k <= n:
        raise ValueError(f"{flag}: must lie in [1, n = {n}], got {k}")
    return k


def check_eps(eps: float | None, flag: str = "--eps") -> float | None:
    if eps is not None and not (math.isfinite(eps) and eps >= 0):
        raise ValueError(f"{flag}: must be a finite KL budget >= 0 (nats), got {eps}")
    return eps


def check_positive(value: int | None, flag: str, minimum: int = 1) -> int | None:
    if value is not None and value < minimum:
        raise ValueError(f"{flag}: must be >= {minimum}, got {value}")
    return value


# ------------------------------------------------------------------------------------------------
# Messages
# ------------------------------------------------------------------------------------------------
_PREFIX = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*): ")


def flag_message(
    err: BaseException,
    *,
    params: dict | None = None,
    table_flag: str = "--from-npy",
    curve_flag: str = "--z-npy",
) -> str:
    """The message of ``err`` with a leading library argument name replaced by its flag.

    ``"n: must be >= 1"`` -> ``"--n: must be >= 1"``; a family parameter named in ``--param``
    becomes ``--param KEY``; the table (``p``, ``probs``, ``d``) becomes ``table_flag``.
    """
    msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    m = _PREFIX.match(msg)
    if not m or msg.startswith("--"):
        return msg
    name, rest = m.group(1), msg[m.end() :]
    if params and name in params:
        flag = f"--param {name}"
    elif name in _ARGUMENT_FLAGS:
        flag = _ARGUMENT_FLAGS[name]
    elif name in _TABLE_ARGUMENTS:
        flag = table_flag
    elif name in _CURVE_ARGUMENTS:
        flag = curve_flag
    else:  # a parameter the family filled in by default, e.g. a generated generator matrix
        flag = f"--family/--n (the family's {name})"
    return f"{flag}: {rest}"


def reword_error(err: ValueError, flags: dict[str, str]) -> ValueError:
    """A library error ``"arg: ..."`` re-worded as ``"--flag: ..."`` (``flags[arg]``), one line.

    Examples:
      >>> str(reword_error(ValueError("key: not a seed"), {"key": "--seed"}))
      '--seed: not a seed'
    """
    msg = " ".join(str(err).split())
    head, sep, rest = msg.partition(":")
    if sep and head in flags:
        return ValueError(f"{flags[head]}:{rest}")
    return ValueError(msg)
