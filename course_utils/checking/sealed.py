"""Sealed answers: what a value exercise accepts, kept as salted hashes (1.1's a, 1.2's choices).

A value exercise (``by_hand = {...}``) has one answer, the same for every student, so the checker of the
student edition may not hold it in the clear. A *sealed table* holds, for each accepted answer and each
known mistake, the salted hash of the value (an id) and the judge's verdict for it (a payload: None for
right, or the message), the payload encrypted with a key that only that same value gives. Looking a value
up finds its payload if it is in the table; nothing in the table names a value that is not typed in.

The judge calls :func:`unseal` on a table an oracle returns (``course_utils.checking.oracle``): in the
instructor's tree the oracle builds the table with :func:`seal` from the answer; the student edition gets
the same table from the baked data. Both look up the same way, so both editions judge alike.

Numbers are quantised to a grid of ``step``: a value is stored as its nearest grid point n = round(v / step),
and a typed value x matches when every number's grid point is within one of the stored one's. So every x
within ``step`` of v matches, and none farther than 2·``step``. The salt is the release's (see
:func:`use_salt`): a table of hashes from another release does not match. A hash of a number hides it
from the eye, not from a loop trying every candidate; the checker itself answers such a loop anyway.
Introduced in notebook 01, through the checker of 1.1.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from typing import Any

import numpy as np

__all__ = ["seal", "unseal", "use_salt", "MAX_NUMBERS"]

MAX_NUMBERS = 8  # numbers in one looked-up value: 3**8 grid neighbours at most
_SALT = "unreleased"  # replaced by the release's salt while the student edition is baked


def use_salt(salt: str) -> None:
    """Seal from now on with ``salt`` (the release sets its own: ``course release --edition``)."""
    global _SALT
    _SALT = salt


def _numbers(value: Any, step: float | None) -> tuple[Any, list]:
    """(``value`` as JSON-ready data with each number replaced by a slot "#", the numbers' grid points)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (bool, str)) or value is None:
        return value, []
    if isinstance(value, (int, float, np.integer, np.floating)):
        x = float(value)
        if not math.isfinite(x):
            return repr(x), []
        return "#", [round(x / step) if step else (int(x) if x.is_integer() else repr(x))]
    if isinstance(value, dict):
        parts = {str(k): _numbers(v, step) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
        return {k: p[0] for k, p in parts.items()}, [n for p in parts.values() for n in p[1]]
    if isinstance(value, (list, tuple)):
        parts = [_numbers(v, step) for v in value]
        return [p[0] for p in parts], [n for p in parts for n in p[1]]
    return f"<{type(value).__name__}>", []


def _digest(name: str, purpose: str, shape: Any, points: tuple, salt: str) -> bytes:
    text = json.dumps([salt, purpose, name, shape, list(points)], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).digest()


def _crypt(data: bytes, key: bytes) -> bytes:
    """``data`` XOR a SHA-256 key stream from ``key`` (the same call encrypts and decrypts)."""
    stream = b"".join(hashlib.sha256(key + i.to_bytes(4, "big")).digest() for i in range(len(data) // 32 + 1))
    return bytes(a ^ b for a, b in zip(data, stream, strict=False))


def seal(name: str, entries: list[tuple[Any, Any]], step: float | None = None) -> dict:
    """The sealed table of ``entries``, (value, payload) pairs, first match wins: payload None means right.

    ``step``: the grid numbers are quantised to (None: exact, for counts). Plain data (the edition bakes it).
    """
    table: dict[str, str] = {}
    for priority, (value, payload) in enumerate(entries):
        shape, points = _numbers(value, step)
        text = json.dumps([priority, payload]).encode()
        key = _digest(name, "id", shape, tuple(points), _SALT)
        table.setdefault(key.hex()[:32], _crypt(text, _digest(name, "key", shape, tuple(points), _SALT)).hex())
    return {"name": name, "salt": _SALT, "step": step, "entries": table}


def unseal(table: dict, value: Any) -> tuple[bool, Any]:
    """(found, payload): the verdict ``table`` holds for ``value`` (or a value within the grid's reach)."""
    name, salt, step = table["name"], table["salt"], table["step"]
    shape, points = _numbers(value, step)
    if step and len(points) > MAX_NUMBERS:
        return False, None
    offsets = itertools.product((0, -1, 1), repeat=len(points)) if step else [(0,) * len(points)]
    best = None
    for offset in offsets:
        moved = tuple(p + d for p, d in zip(points, offset, strict=True))
        sealed = table["entries"].get(_digest(name, "id", shape, moved, salt).hex()[:32])
        if sealed is not None:
            found = json.loads(_crypt(bytes.fromhex(sealed), _digest(name, "key", shape, moved, salt)))
            best = found if best is None or found[0] < best[0] else best
    return (False, None) if best is None else (True, best[1])
