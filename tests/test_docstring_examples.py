"""Every public name has a docstring with a runnable ``>>>`` example (run by --doctest-modules).

Public names are those exported by ``mdmjax`` and its subpackages (non-underscore attributes of
their ``__init__``, modules aside). Each function or class is checked once, under its home
``module.qualname``. Constants (tuples, dicts, numbers) carry no docstring of their own.

``PENDING`` lists the names whose example is still to be written, by home file, so that the list
can only shrink: a name that gains an example, or stops being public, must leave it.
"""

import importlib
import inspect
import types

SUBPACKAGES = ["kl", "curves", "search", "schedules", "policies", "families", "models"]
SUBPACKAGES += ["calibrate", "bounds", "sharding"]

PENDING: set[str] = set()  # every public name has its example now; keep it that way


def _home(obj) -> str:
    obj = inspect.unwrap(obj)
    return f"{obj.__module__}.{getattr(obj, '__qualname__', getattr(obj, '__name__', '?'))}"


def public_objects() -> dict[str, object]:
    """``{home: object}`` for every public function and class of mdmjax and its subpackages."""
    out = {}
    for name in ["mdmjax"] + [f"mdmjax.{s}" for s in SUBPACKAGES]:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", None) or dir(module):
            obj = getattr(module, attr)
            if attr.startswith("_") or isinstance(obj, types.ModuleType):
                continue
            if inspect.isfunction(inspect.unwrap(obj)) or inspect.isclass(obj) or callable(obj):
                home = _home(obj)
                if home.startswith("mdmjax."):
                    out[home] = obj
    return out


def _has_example(obj) -> bool:
    return ">>>" in (inspect.getdoc(obj) or "")


def test_every_public_name_has_a_docstring_example():
    objects = public_objects()
    assert len(objects) > 150
    missing = sorted(h for h, o in objects.items() if not _has_example(o) and h not in PENDING)
    assert not missing, "public names without a '>>>' example:\n" + "\n".join(missing)


def test_pending_list_only_shrinks():
    objects = public_objects()
    done = sorted(h for h in PENDING if h in objects and _has_example(objects[h]))
    gone = sorted(h for h in PENDING if h not in objects)
    assert not done, f"these have an example now; remove them from PENDING: {done}"
    assert not gone, f"these are no longer public; remove them from PENDING: {gone}"
