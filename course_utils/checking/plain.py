"""Plain data: what crosses between the student's kernel and the judge (numbers, strings, arrays, containers).

A student's function returns anything; :func:`encode` turns it into a JSON tree plus numpy arrays (a torch
tensor becomes an array and its ``requires_grad`` flag), :func:`decode` turns it back. :func:`save_plain`
and :func:`load_plain` store that in one ``.npz`` file, never pickled. Introduced in notebook 00 (welcome),
through the checkers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Tensor", "Raised", "Opaque", "encode", "decode", "save_plain", "load_plain", "plain_key", "dumps", "loads"]


@dataclass(frozen=True)
class Tensor:
    """A torch tensor that came back, as plain data."""

    array: np.ndarray
    requires_grad: bool


@dataclass(frozen=True)
class Raised:
    """The student's function raised instead of returning."""

    type: str
    message: str


@dataclass(frozen=True)
class Opaque:
    """Something that is not plain data (a function, a module, ...): only its type and repr come back."""

    type: str
    repr: str


_MAX_DEPTH = 6


def encode(
    value: Any, arrays: list[np.ndarray] | None = None, depth: int = 0, *, limit: int | None = 1000
) -> tuple[Any, list[np.ndarray]]:
    """(tree, arrays): ``value`` as a JSON-able tree whose arrays are stored by index in ``arrays``.

    ``limit``: at most that many items of a container, twice that many characters of a string and
    ``_MAX_DEPTH`` levels are kept (what comes back from a student's kernel is bounded); None keeps everything
    (the course's own data).
    """
    arrays = [] if arrays is None else arrays
    items_cap, text_cap = (None, None) if limit is None else (limit, 2 * limit)
    deeper = limit is None or depth < _MAX_DEPTH

    def array(a: np.ndarray, **extra) -> dict:
        a = np.asarray(a)
        if a.dtype == object or a.dtype.kind not in "biufc":
            return {"t": "opaque", "type": f"array of {a.dtype}", "repr": repr(a)[:200]}
        arrays.append(a)
        return {"t": "array", "i": len(arrays) - 1, **extra}

    if value is None:
        return {"t": "none"}, arrays
    if isinstance(value, Raised):
        return {"t": "raised", "type": value.type, "message": value.message}, arrays
    if isinstance(value, (bool, np.bool_)):
        return {"t": "bool", "v": bool(value)}, arrays
    if isinstance(value, (int, float, np.integer, np.floating)):
        return array(np.asarray(value), scalar=True), arrays
    if isinstance(value, str):
        return {"t": "str", "v": value[:text_cap]}, arrays
    if isinstance(value, np.ndarray):
        return array(value), arrays
    if hasattr(value, "detach") and hasattr(value, "requires_grad"):  # a torch tensor
        return array(value.detach().cpu().numpy(), tensor=bool(value.requires_grad)), arrays
    if deeper and isinstance(value, (tuple, list)):
        items = [encode(item, arrays, depth + 1, limit=limit)[0] for item in value[:items_cap]]
        return {"t": "tuple" if isinstance(value, tuple) else "list", "items": items}, arrays
    if deeper and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {
            "t": "dict",
            "items": {k: encode(v, arrays, depth + 1, limit=limit)[0] for k, v in list(value.items())[:items_cap]},
        }, arrays
    try:
        text = repr(value)[:200]
    except Exception:  # a broken __repr__ is the student's, not ours
        text = "?"
    return {"t": "opaque", "type": type(value).__name__, "repr": text}, arrays


def decode(tree: Any, arrays: list[np.ndarray]) -> Any:
    """The plain value behind ``encode``'s tree (Tensor, Raised and Opaque for what is not a plain value)."""
    kind = tree.get("t")
    if kind == "none":
        return None
    if kind in ("bool", "str"):
        return tree["v"]
    if kind == "array":
        a = np.asarray(arrays[tree["i"]])
        if tree.get("scalar"):
            return a.item()
        return Tensor(a, bool(tree["tensor"])) if "tensor" in tree else a
    if kind in ("tuple", "list"):
        items = [decode(item, arrays) for item in tree["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: decode(v, arrays) for k, v in tree["items"].items()}
    if kind == "raised":
        return Raised(tree["type"], tree["message"])
    return Opaque(tree.get("type", "?"), tree.get("repr", "?"))


def save_plain(path, value: Any) -> None:
    """Write ``value`` (plain data) to ``path`` as one .npz file; nothing is pickled."""
    tree, arrays = encode(value)
    with open(path, "wb") as handle:
        np.savez(handle, __tree__=np.array(json.dumps(tree)), **{f"a{i}": a for i, a in enumerate(arrays)})


def load_plain(path) -> Any:
    """Read what :func:`save_plain` wrote, refusing pickles (``allow_pickle=False``)."""
    with np.load(path, allow_pickle=False) as data:
        tree = json.loads(str(data["__tree__"]))
        arrays = [data[f"a{i}"] for i in range(sum(k.startswith("a") for k in data.files))]
    return decode(tree, arrays)


def plain_key(value: Any) -> str:
    """A stable hash of ``value`` as plain data: the same numbers, shapes and dtypes give the same key in any
    process on any machine (the student edition's checker looks baked answers up by it)."""
    tree, arrays = encode(value)
    digest = hashlib.sha256(json.dumps(tree, sort_keys=True).encode())
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(f"{a.dtype.str}{a.shape}".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()[:32]


def dumps(value: Any) -> str:
    """``value`` (plain data) as one JSON text, arrays included (dtype, shape, hex bytes): same value, same text.
    Nothing is cut (the course's own data: the baked answers, the bake's outcomes)."""
    tree, arrays = encode(value, limit=None)
    stored = [
        {"dtype": a.dtype.str, "shape": list(a.shape), "hex": np.ascontiguousarray(a).tobytes().hex()} for a in arrays
    ]
    return json.dumps({"tree": tree, "arrays": stored}, sort_keys=True, separators=(",", ":"))


def loads(text: str) -> Any:
    """What :func:`dumps` wrote."""
    data = json.loads(text)
    arrays = [
        np.frombuffer(bytes.fromhex(a["hex"]), dtype=np.dtype(a["dtype"])).reshape(a["shape"]).copy()
        for a in data["arrays"]
    ]
    return decode(data["tree"], arrays)
