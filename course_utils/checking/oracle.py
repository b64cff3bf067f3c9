"""Answers the checker needs, computed by the instructor and baked for the student edition.

An exercise's judge compares a student's result with the reference's and with each known mistake's.
The functions that compute those (references, mistake variants, rule helpers) are *oracles*: marked
``@oracle`` in the instructor's ``course_utils/instructor/exercises/nbNN.py`` (or wrapped, ``oracle(fn)``).

* In the instructor's tree an oracle simply computes.
* ``course release --edition`` runs every visible case through the judges while :func:`recording`, and
  stores each oracle call (its name and a hash of its plain-data arguments, :func:`plain_key`) with what it
  returned. The edition's copy of the exercise module keeps the judge and its messages but not the oracles'
  bodies: there, :func:`use_baked` is on and an oracle looks its answer up instead of computing it.

What an oracle returns is plain data, a function, or a dict of functions (a judge's table of mistakes):
a returned function is an oracle too, named after its parent call, so its own calls are baked as well.
Introduced in notebook 00 (welcome), through the checkers.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from course_utils.checking.plain import Raised, loads, plain_key

__all__ = ["Oracle", "OracleMiss", "oracle", "recording", "answers_to", "use_baked", "baked_mode", "call_key"]


class OracleMiss(LookupError):
    """The student edition has no baked answer for this call (arguments no visible case produces)."""


_BAKED: dict[str, Any] | None = None  # key -> plain result, when the student edition's data is in use
_RECORD: dict[str, Any] | None = None  # key -> plain result, while the release bakes
_ANSWERS: list[tuple[str, Any]] = []  # (key of the arguments alone, result) of each call, while the release bakes
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _stable(value: Any, depth: int = 0) -> Any:
    """``value`` with what is not plain data (functions, oracles, objects) replaced by a stable name."""
    if isinstance(value, Oracle):
        return f"<oracle {value.name}>"
    if isinstance(value, (tuple, list)) and depth < 6:
        return type(value)(_stable(item, depth + 1) for item in value)
    if isinstance(value, dict) and depth < 6:
        return {str(k): _stable(v, depth + 1) for k, v in value.items()}
    if callable(value) and hasattr(value, "__qualname__"):
        return f"<function {getattr(value, '__module__', '?').rpartition('.')[2]}.{value.__qualname__}>"
    if value is None or isinstance(value, (bool, int, float, str)) or hasattr(value, "dtype"):
        return value
    return f"<{type(value).__name__} {_ADDRESS.sub('', repr(value))[:200]}>"


def call_key(name: str, args: tuple, kwargs: dict) -> str:
    """The key a call is baked under: its oracle's name and its arguments as plain data."""
    return plain_key((name, _stable(args), _stable(dict(sorted(kwargs.items())))))


class Oracle:
    """A function whose answers the student edition looks up (see the module's docstring)."""

    def __init__(self, fn: Callable | None, name: str) -> None:
        self.fn, self.name = fn, name
        self.__name__ = self.__qualname__ = name.rpartition(".")[2]
        self.__doc__ = getattr(fn, "__doc__", None)

    def __repr__(self) -> str:
        return f"<oracle {self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _BAKED is None and _RECORD is None:
            assert self.fn is not None, f"oracle {self.name} has no body outside the student edition"
            return self.fn(*args, **kwargs)
        key = call_key(self.name, args, kwargs)
        if _BAKED is not None:
            if key not in _BAKED:
                raise OracleMiss(f"{self.name}: no baked answer for these arguments")
            return _unpack(_BAKED[key], key)
        try:
            result = self.fn(*args, **kwargs)
        except Exception as err:
            _RECORD[key] = Raised(type(err).__name__, str(err))
            raise
        _RECORD[key] = _pack(result, key)
        _ANSWERS.append((plain_key(_stable(args)), _RECORD[key]))
        return _unpack(_RECORD[key], key, result)


def _pack(result: Any, key: str) -> Any:
    """What is stored for ``result``: plain data, or a marker for a function / a dict of functions."""
    if callable(result):
        return {"__oracle__": key}
    if isinstance(result, dict) and any(callable(v) for v in result.values()):
        return {"__oracles__": {str(k): _pack(v, f"{key}/{k}") for k, v in result.items()}}
    return result


def _unpack(stored: Any, key: str, computed: Any = None) -> Any:
    """The value an oracle call gives back: the computed one while recording (functions wrapped as oracles so
    their calls are recorded too), the stored one from baked data."""
    if isinstance(stored, Raised):
        raise getattr(builtins, stored.type, RuntimeError)(stored.message)
    if isinstance(stored, dict) and "__oracle__" in stored:
        return Oracle(computed, stored["__oracle__"])
    if isinstance(stored, dict) and "__oracles__" in stored:
        parts = computed if isinstance(computed, dict) else {}
        return {k: _unpack(v, f"{key}/{k}", parts.get(k)) for k, v in stored["__oracles__"].items()}
    return stored


def oracle(fn: Callable | None = None, *, name: str | None = None) -> Any:
    """Mark ``fn`` as an oracle: ``@oracle`` on a definition, or ``oracle(library_function)``.

    Its name is "<last part of its module>.<qualified name>" (the same in both editions), unless given.
    """
    if fn is None:
        return lambda f: oracle(f, name=name)
    module = getattr(fn, "__module__", "?").rpartition(".")[2]
    return Oracle(fn, name or f"{module}.{fn.__qualname__}")


def answers_to(args: tuple) -> list[Any]:
    """While recording: what the oracles called with exactly ``args`` returned (a reference's or a known
    mistake's answer to a case), plain results only, in the order of the calls."""
    key = plain_key(_stable(args))
    found = [result for k, result in _ANSWERS if k == key and not isinstance(result, (dict, Raised))]
    return [r for i, r in enumerate(found) if all(plain_key(r) != plain_key(o) for o in found[:i])]


@contextmanager
def recording() -> Iterator[dict[str, Any]]:
    """Record every oracle call made inside the block: yields the dict key -> plain result it fills."""
    global _RECORD
    previous, _RECORD = _RECORD, {}
    try:
        yield _RECORD
    finally:
        _RECORD = previous
        _ANSWERS.clear()


def use_baked(path: str | Path) -> None:
    """Answer every oracle call from the baked data in ``path`` (written by the release) from now on."""
    global _BAKED
    _BAKED = loads(Path(path).read_text())


def baked_mode() -> bool:
    """Whether oracles answer from baked data (the student edition)."""
    return _BAKED is not None
