"""The law a command runs on: the law flags resolved into a :class:`LawSpec`.

The shared flags themselves live in :mod:`mdmjax.cli._flags` and ``.npy`` input in
:mod:`mdmjax.cli._npy`; their names are re-exported here, where the commands import them.


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

import dataclasses
import math
import sys
from collections.abc import Callable

import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.memory import check_curve_positions
from mdmjax.cli._flags import add_law_arguments as add_law_arguments
from mdmjax.cli._flags import add_output_arguments as add_output_arguments
from mdmjax.cli._flags import check_eps as check_eps
from mdmjax.cli._flags import check_k as check_k
from mdmjax.cli._flags import check_positive as check_positive
from mdmjax.cli._flags import flag_message as flag_message
from mdmjax.cli._flags import fmt as fmt
from mdmjax.cli._flags import parse_ints as parse_ints
from mdmjax.cli._flags import parse_params as parse_params
from mdmjax.cli._flags import parse_steps as parse_steps
from mdmjax.cli._flags import save_figure as save_figure
from mdmjax.cli._flags import text_stream as text_stream
from mdmjax.cli._flags import write_json as write_json
from mdmjax.cli._npy import curve_from_npy as _curve_from_npy
from mdmjax.cli._npy import load_npy as load_npy
from mdmjax.cli._npy import npy_header as _npy_header
from mdmjax.cli._npy import table_from_npy as _table_from_npy

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
    "parse_ints",
    "parse_params",
    "parse_steps",
    "check_k",
    "check_eps",
    "check_positive",
    "save_figure",
    "text_stream",
    "write_json",
]

#: ``report``/``schedules`` enumerate a law only when its extended table has at most this many
#: entries (``3^18``: binary ``n = 18``, a few seconds on two CPU cores); larger laws take a
#: structured or Monte-Carlo route, or are refused with the flag to change.
ENUMERATION_LIMIT = 3**18


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

    from mdmjax.curves import CURVE_FAMILIES, family_curve, family_route
    from mdmjax.families import FAMILY_NAMES, by_name, family_spec

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
    spec = family_spec(name)
    q = spec.alphabet_size(n, args.q, params)
    desc = (
        f"{name} (n={n}, q={q}"
        + "".join(f", {k}={v}" for k, v in params.items() if np.ndim(v) == 0)
        + ")"
    )
    table_name = spec.name
    has_table = spec.table is not None
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

    route = family_route(name, n, q, **params)  # what mdm.curves.family_curve will do
    structured = route.description if route.kind == "exact" else None
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
    if name in CURVE_FAMILIES and route.kind == "monte_carlo":
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
