"""The flags every sub-command shares, and the one parser for them.

* **Law flags** (:func:`add_law_arguments`): ``--family NAME --n N --q Q --param KEY=VALUE
  --seed S``, or ``--from-npy FILE`` (a probability table), or — where a curve is enough —
  ``--z-npy FILE`` (``Z_1..Z_n``); ``--samples`` for Monte-Carlo routes. With none of them, the
  one default law (:func:`default_law`). Old spellings (``--probs``, ``--coupling``, ``--field``)
  are hidden aliases that map to the new ones.
* **Output flags** (:func:`add_output_arguments`): ``--json PATH`` (``-``: stdout) and
  ``--plot PATH`` (no file unless given).
* :func:`law_spec` resolves the flags *cheaply* into a :class:`LawSpec` — ``n``, the shape where
  there is a table, the route the curve will take — so that commands check ``--steps``, ``--k``,
  ``--eps`` and sizes against ``n`` before any expensive work; :meth:`LawSpec.curve` and
  :meth:`LawSpec.table` then do the work.
* Route preference for a curve: the exact structured route of ``mdm.curves.family_curve`` where one
  exists; else enumeration of the ``(q+1)^n`` table when it is small; else Monte Carlo.
* Every error is a ``ValueError`` whose message starts with the flag; :func:`flag_message` turns a
  library message that starts with an argument name (``n:``, ``p:``) into one naming the flag.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import sys
from collections.abc import Callable

import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.memory import check_curve_positions
from mdmjax._src.tolerances import DISPLAY_ZERO

__all__ = [
    "ENUMERATION_LIMIT",
    "LawSpec",
    "add_law_arguments",
    "add_output_arguments",
    "default_law",
    "flag_message",
    "fmt",
    "law_spec",
    "load_npy",
    "parse_params",
    "parse_steps",
    "check_k",
    "check_eps",
    "write_json",
]

#: ``report``/``schedules`` enumerate a law only when its extended table has at most this many
#: entries (``3^18``: binary ``n = 18``, a few seconds on two CPU cores); larger laws take a
#: structured or Monte-Carlo route, or are refused with the flag to change.
ENUMERATION_LIMIT = 3**18

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


def add_output_arguments(parser: argparse.ArgumentParser, *, plot: bool = True) -> None:
    """Add ``--json PATH`` ('-': stdout) and ``--plot PATH`` (no file unless given)."""
    g = parser.add_argument_group("output")
    g.add_argument("--json", metavar="PATH", help="write the results as JSON ('-': stdout)")
    if plot:
        g.add_argument("--plot", metavar="PATH", help="write a figure (PNG); none unless given")


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


def parse_steps(values, n: int, *, flag: str = "--steps") -> list[int]:
    """Step counts from ``--steps``: integers, comma lists and ``LO:HI`` ranges, each in ``[1, n]``.

    ``values`` is a string or a list of strings (``--steps 1 2 6``, ``--steps 2,4,8``,
    ``--steps 1:4``).
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
                    lo, hi = part.split(":", 1)
                    out.extend(range(int(lo or 1), int(hi or n) + 1))
                else:
                    out.append(int(part))
            except ValueError:
                raise ValueError(
                    f"{flag}: expected integers, comma lists or LO:HI ranges, got {part!r}"
                ) from None
    if not out:
        raise ValueError(f"{flag}: no step counts given")
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
# Files
# ------------------------------------------------------------------------------------------------
def _npy_header(path: str, flag: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of a ``.npy`` file, read from its header only; one clean error otherwise."""
    if not os.path.exists(path):
        raise ValueError(f"{flag}: no such file: {path}")
    if os.path.isdir(path):
        raise ValueError(f"{flag}: {path} is a directory, not a .npy file")
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(8)
            if size == 0:
                raise ValueError(f"{flag}: {path} is empty (0 bytes); expected a .npy array")
            if head.startswith(b"PK"):
                raise ValueError(
                    f"{flag}: {path} is an .npz archive (numpy.savez); save the one array with "
                    "numpy.save instead"
                )
            if not head.startswith(b"\x93NUMPY"):
                raise ValueError(
                    f"{flag}: {path} is not a .npy file (no NumPy header); save the array with "
                    "numpy.save"
                )
            fh.seek(0)
            try:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
            except Exception:  # noqa: BLE001  (any damage to the header is the same user error)
                raise ValueError(f"{flag}: {path} has a damaged .npy header") from None
    except PermissionError:
        raise ValueError(f"{flag}: cannot read {path}: permission denied") from None
    except OSError as err:
        raise ValueError(f"{flag}: cannot read {path}: {err.strerror or err}") from None
    if dtype.hasobject:
        raise ValueError(
            f"{flag}: {path} holds Python objects (a pickled array), not numbers; it is not "
            "loaded (allow_pickle=False)"
        )
    if not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)):
        raise ValueError(f"{flag}: {path} holds {dtype} values; expected real numbers")
    return tuple(int(s) for s in shape), dtype


def load_npy(path: str, flag: str) -> np.ndarray:
    """Load a real, finite ``.npy`` array with ``allow_pickle=False``; one-line errors."""
    shape, _ = _npy_header(path, flag)
    try:
        arr = np.load(path, allow_pickle=False)
    except Exception:  # noqa: BLE001  (truncated data, ...: one message, no numpy text)
        raise ValueError(
            f"{flag}: {path} is damaged (its data do not match its header shape {shape})"
        ) from None
    if arr.ndim == 0:
        raise ValueError(
            f"{flag}: {path} holds a single number (a 0-d array); expected an array with one "
            "axis per position"
        )
    if arr.size == 0:
        raise ValueError(f"{flag}: {path} holds an empty array (shape {arr.shape})")
    arr = arr.astype(np.float64)
    bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
    if bad:
        raise ValueError(
            f"{flag}: {path} has {bad} NaN or infinite {'entry' if bad == 1 else 'entries'}"
        )
    return arr


def _table_from_npy(path: str):
    from mdmjax.distribution import Distribution

    p = load_npy(path, "--from-npy")
    neg = int(np.count_nonzero(p < 0))
    if neg:
        raise ValueError(
            f"--from-npy: {path} has {neg} negative {'entry' if neg == 1 else 'entries'} "
            f"(smallest {p.min():.3g}); "
            "probabilities must be >= 0"
        )
    try:
        return Distribution.from_probs(p)
    except ValueError as err:
        raise ValueError(_with_path(flag_message(err), "--from-npy", path)) from None


def _curve_from_npy(path: str):
    from mdmjax.curves import InformationCurve

    z = load_npy(path, "--z-npy")
    if z.ndim != 1:
        raise ValueError(f"--z-npy: {path} has shape {z.shape}; expected Z_1..Z_n, a 1-D array")
    try:
        return InformationCurve.from_z(z)
    except ValueError as err:
        raise ValueError(_with_path(flag_message(err), "--z-npy", path)) from None


def _with_path(msg: str, flag: str, path: str) -> str:
    """``"--z-npy: Z must ..."`` -> ``"--z-npy: FILE: Z must ..."``."""
    head = f"{flag}: "
    return f"{head}{path}: {msg[len(head) :]}" if msg.startswith(head) else f"{head}{path}: {msg}"


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


# ------------------------------------------------------------------------------------------------
# The law
# ------------------------------------------------------------------------------------------------
def default_law():
    """The one default law: ``(description, Distribution)``.

    4-letter English words (``mdm.families.english_words(length=4)``) when the ``data`` extra
    (wordfreq) is installed, else an Ising chain of 10 spins with coupling 0.8 and field 0.2.
    """
    from mdmjax import families

    try:
        return "4-letter English words (wordfreq)", families.english_words(length=4)
    except ImportError:
        return "Ising chain (n=10, coupling=0.8, field=0.2)", families.ising(
            "chain", n=10, coupling=0.8, field=0.2
        )


def _default_law_shape() -> tuple[str, tuple[int, ...]]:
    try:
        import wordfreq  # noqa: F401
    except ImportError:
        return "Ising chain (n=10, coupling=0.8, field=0.2)", (2,) * 10
    return "4-letter English words (wordfreq)", (26,) * 4


@dataclasses.dataclass
class LawSpec:
    """A law resolved from the flags, before any expensive work.

    Attributes:
      description: for the output (``law: ...``).
      n: number of positions.
      shape: the probability table's shape, where the law has one (``None`` for ``--z-npy`` or
        families known only by their curve).
      route: how the curve is obtained, in words (``exact Markov-chain curve``, ...).
      route_kind: ``"exact"``, ``"enumeration"``, ``"monte_carlo"`` or ``"given"``.
      num_samples: draws of a Monte-Carlo route, else ``None``.
    """

    description: str
    n: int
    shape: tuple[int, ...] | None
    route: str
    route_kind: str
    num_samples: int | None = None
    _table: Callable | None = dataclasses.field(default=None, repr=False)
    _curve: Callable | None = dataclasses.field(default=None, repr=False)
    _cache: dict = dataclasses.field(default_factory=dict, repr=False)

    @property
    def estimated(self) -> bool:
        return self.route_kind == "monte_carlo"

    def table(self):
        """The :class:`~mdmjax.Distribution` (built once)."""
        if "table" not in self._cache:
            if self._table is None:
                raise ValueError("--from-npy: this command needs a probability table")
            self._cache["table"] = self._table()
        return self._cache["table"]

    def curve(self):
        """The :class:`~mdmjax.InformationCurve` along :attr:`route` (computed once)."""
        if "curve" not in self._cache:
            if self._curve is not None:
                self._cache["curve"] = self._curve()
            else:
                from mdmjax.curves import information_curve

                self._cache["curve"] = information_curve(self.table())
        return self._cache["curve"]

    def as_json(self) -> dict:
        return {
            "law": self.description,
            "route": self.route,
            "route_kind": self.route_kind,
            "num_samples": self.num_samples,
        }


def _deprecated(args, command: str) -> None:
    """Map the hidden old spellings onto the new flags (with a note on stderr)."""
    if getattr(args, "probs", None):
        if args.from_npy:
            raise ValueError("--from-npy: give --from-npy or its old spelling --probs, not both")
        print(f"mdmjax {command}: note: --probs is deprecated; use --from-npy", file=sys.stderr)
        args.from_npy, args.probs = args.probs, None
    for old in ("coupling", "field"):
        value = getattr(args, old, None)
        if value is None:
            continue
        print(
            f"mdmjax {command}: note: --{old} is deprecated; use --param {old}={value}",
            file=sys.stderr,
        )
        if any(item.split("=", 1)[0].strip() == old for item in args.param):
            raise ValueError(f"--param: {old} given both as --param and as --{old}")
        args.param = [*args.param, f"{old}={value}"]
        if args.family is None and not args.from_npy:
            args.family = "ising"  # the old policies default family
        setattr(args, old, None)


def _table_q(name: str, n: int, q: int | None, params: dict) -> int:
    """The alphabet size of a family's table, from the flags alone (no law is built)."""
    from mdmjax._src.primes import smallest_prime_above

    if q is not None:
        return q
    if name in ("reed_solomon", "rs"):
        return smallest_prime_above(n)
    for key in ("transition", "marginals", "emission"):
        if key in params:
            try:
                return int(np.shape(params[key])[-1])
            except (IndexError, ValueError):
                return 2
    return 2


def _structured_route(name: str, n: int, q: int, params: dict) -> str | None:
    """The exact route ``mdm.curves.family_curve`` takes for these flags, or ``None``."""
    if name == "markov":
        return "exact Markov-chain curve"
    if name == "ising" and "edges" not in params and params.get("graph", "chain") == "chain":
        return "exact Ising-chain curve (transfer matrix)"
    if name in ("reed_solomon", "rs"):
        return f"exact MDS-code closed form (Reed-Solomon over F_{q})"
    if name in ("repetition", "parity"):
        return "exact MDS-code closed form"
    if name == "noisy_repetition":
        return "exact noisy-repetition closed form"
    if name == "product":
        return "exact product-law curve (Z = 0)"
    if name == "linear_code":
        method = params.get("method", "auto")
        if method == "exact" or (method == "auto" and n <= 16):
            return "exact rank counting over F_q (all 2^n subsets)"
    return None


def _monte_carlo_possible(name: str, params: dict) -> bool:
    if name in ("hmm", "mixture", "linear_code"):
        return True
    return name == "ising" and "edges" in params


def _entries_text(q: int, n: int) -> str:
    return f"{q}^{n} = {q**n:.3g}" if n < 4096 else f"{q}^{n}"


def _extended_entries(shape) -> float:
    return math.prod(float(s + 1) for s in shape)


def law_spec(
    args,
    command: str,
    *,
    need_table: bool = False,
    table_limit: int | None = None,
    why: str = "",
) -> LawSpec:
    """Resolve the law flags into a :class:`LawSpec` without building the law.

    Args:
      args: parsed arguments with the law flags.
      command: the sub-command's name (for notes).
      need_table: the command needs the probability table itself (policies); then families with
        only a curve route, and ``--z-npy``, are refused.
      table_limit: the most outcomes (table entries) the command accepts, checked from the shape.
      why: why the command needs a small table, for the message.
    """

    from mdmjax.curves import CURVE_FAMILIES, family_curve
    from mdmjax.families import FAMILY_NAMES, by_name

    _deprecated(args, command)
    samples = getattr(args, "samples", None)
    check_positive(samples, "--samples", minimum=2)
    z_npy = getattr(args, "z_npy", None)
    given = [f for f, v in (("--from-npy", args.from_npy), ("--z-npy", z_npy)) if v]
    if args.family:
        given.append("--family")
    if len(given) > 1:
        raise ValueError(f"{given[1]}: give one of {', '.join(given)}, not several")
    if not args.family and (args.n is not None or args.q is not None or args.param):
        flag = "--n" if args.n is not None else ("--q" if args.q is not None else "--param")
        raise ValueError(f"{flag}: needs --family (the default law has fixed parameters)")

    def limit_check(shape, what: str, flags: str) -> None:
        if table_limit is None:
            return
        size = math.prod(shape)
        if size > table_limit:
            q = max(shape)
            raise ValueError(
                f"{flags}: {what} has {_entries_text(q, len(shape))} outcomes, over the "
                f"{table_limit} that {command} accepts{why}; {_smaller(flags)}"
            )

    if z_npy:
        if need_table:
            raise ValueError(f"--z-npy: {command} needs a probability table; use --from-npy")
        path = z_npy
        shape, _ = _npy_header(path, "--z-npy")
        if len(shape) != 1:
            raise ValueError(f"--z-npy: {path} has shape {shape}; expected Z_1..Z_n, a 1-D array")
        return LawSpec(
            f"curve from {path}",
            shape[0],
            None,
            f"given curve (--z-npy {path})",
            "given",
            _curve=lambda: _curve_from_npy(path),
        )
    if args.from_npy:
        path = args.from_npy
        shape, _ = _npy_header(path, "--from-npy")
        if not shape:
            raise ValueError(
                f"--from-npy: {path} holds a single number (a 0-d array); expected an array with "
                "one axis per position"
            )
        limit_check(shape, f"the table in {path}", "--from-npy")
        return LawSpec(
            f"table from {path}",
            len(shape),
            shape,
            _enumeration_text(shape),
            "enumeration",
            _table=lambda: _table_from_npy(path),
        )
    if not args.family:
        desc, shape = _default_law_shape()
        limit_check(shape, f"the default law ({desc})", "--family/--n")
        return LawSpec(
            desc,
            len(shape),
            shape,
            _enumeration_text(shape),
            "enumeration",
            _table=lambda: default_law()[1],
        )

    # A named family.
    name = args.family
    valid = tuple(dict.fromkeys((*FAMILY_NAMES, *CURVE_FAMILIES)))
    if name not in valid:
        raise ValueError(f"--family: unknown family {name!r}; valid names are {', '.join(valid)}")
    if args.n is None:
        raise ValueError(f"--n: required with --family {name}")
    n = check_positive(args.n, "--n")
    check_curve_positions(n)  # before anything of length n (the table's shape) is built
    check_positive(args.q, "--q")
    params = parse_params(args.param)
    if "num_samples" in params:
        if samples is not None:
            raise ValueError("--samples: given both as --samples and as --param num_samples")
        samples = params.pop("num_samples")
    q = _table_q(name, n, args.q, params)
    desc = (
        f"{name} (n={n}, q={q}"
        + "".join(f", {k}={v}" for k, v in params.items() if np.ndim(v) == 0)
        + ")"
    )
    table_name = "reed_solomon" if name == "rs" else name
    has_table = table_name in FAMILY_NAMES
    shape = (q,) * n
    key = as_key(args.seed)  # "key: ..." errors name --seed

    def wrap(fn):
        def call():
            try:
                return fn()
            except ValueError as err:
                raise ValueError(flag_message(err, params=params)) from None

        return call

    def table():
        return by_name(table_name, n, q=args.q, key=key, **params)

    if need_table:
        if not has_table:
            raise ValueError(
                f"--family: {name} has no probability table (only a curve); {command} needs one"
            )
        limit_check(shape, f"{name} with n={n}, q={q}", "--n")
        return LawSpec(desc, n, shape, _enumeration_text(shape), "enumeration", _table=wrap(table))

    structured = _structured_route(name, n, q, params)
    if structured is not None:
        if samples is not None:
            _note(command, f"--samples is not used: the route is exact ({structured})")

        def curve():
            return family_curve(name, n, q=args.q, key=key, **params)

        table_fn = wrap(table) if has_table else None
        return LawSpec(desc, n, shape, structured, "exact", _table=table_fn, _curve=wrap(curve))
    if has_table and _extended_entries(shape) <= ENUMERATION_LIMIT:
        if samples is not None:
            _note(command, "--samples is not used: the law is small enough to enumerate exactly")
        return LawSpec(desc, n, shape, _enumeration_text(shape), "enumeration", _table=wrap(table))
    if name in CURVE_FAMILIES and _monte_carlo_possible(name, params):
        m = 256 if samples is None else samples
        check_positive(m, "--samples", minimum=2)

        def mc_curve():
            return family_curve(name, n, q=args.q, key=key, num_samples=m, **params)

        return LawSpec(
            desc,
            n,
            shape if has_table else None,
            f"Monte Carlo, {m} samples",
            "monte_carlo",
            num_samples=m,
            _table=wrap(table) if has_table else None,
            _curve=wrap(mc_curve),
        )
    raise ValueError(
        f"--n: {name} with n={n}, q={q} has no exact structured or Monte-Carlo curve route, and "
        f"its extended table ({_entries_text(q + 1, n)} entries) is over the enumeration limit "
        f"of 3^18; lower --n"
    )


def _smaller(flags: str) -> str:
    if flags == "--from-npy":
        return "give a smaller table"
    if flags == "--n":
        return "lower --n (or --q)"
    return "give a smaller law with --family NAME --n N (e.g. --family ising --n 10)"


def _enumeration_text(shape) -> str:
    qs = sorted(set(shape))
    base = f"({qs[0]}+1)^{len(shape)}" if len(qs) == 1 else "prod(q_i+1)"
    return f"enumeration of the (q+1)^n table ({base} = {_extended_entries(shape):.4g} entries)"


def _note(command: str, text: str) -> None:
    print(f"mdmjax {command}: note: {text}", file=sys.stderr)
