"""``save`` and ``load``: state dicts (nested) in a NumPy ``.npz`` file, without pickle.

Pickle runs code when loading, so a model file from elsewhere could do anything. Here every
array is stored as a plain ``.npy`` entry of the archive and everything else (the nesting of
dicts, lists and tuples, and Python scalars, strings and None) as one JSON document in the entry
``__structure__`` that refers to the arrays by name; ``load`` reads with
``allow_pickle=False``. Writing goes to a temporary file in the same directory, which replaces
the target with ``os.replace`` only when complete, so a crash mid-write never leaves a
truncated file where a good one was.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Union

import numpy as np

from .tensor import Tensor
from .utils import atomic_write

PathLike = Union[str, "os.PathLike[str]"]

_STRUCTURE = "__structure__"
_FORMAT = "tinygrad_edu.save/1"


def save(obj: Any, path: PathLike) -> None:
    """Write ``obj`` (a state dict, an optimizer's state dict, or any nesting of dicts, lists and
    tuples of Tensors, ndarrays, numbers, strings, bools and None) to ``path`` atomically.

    Dict keys may be strings, ints, floats, bools or None (optimizer state is keyed by int).
    Raises TypeError naming the place of anything else (e.g. a function or an object array).
    """
    arrays: Dict[str, np.ndarray] = {}
    structure = {"format": _FORMAT, "root": _encode(obj, arrays, "obj")}
    text = json.dumps(structure, allow_nan=True)
    arrays[_STRUCTURE] = np.array(text)
    _write_atomically(os.fspath(path), arrays)


def load(path: PathLike) -> Any:
    """Read what ``save`` wrote: Tensors come back as Tensors (with their ``requires_grad``),
    ndarrays as ndarrays, NumPy scalars as NumPy scalars, and the nesting as it was (a dict
    subclass such as OrderedDict comes back as a dict, whose order is kept)."""
    path = os.fspath(path)
    with np.load(path, allow_pickle=False) as archive:
        if _STRUCTURE not in archive.files:
            raise ValueError(f"load: {path!r} is an .npz file but was not written by "
                             "tinygrad_edu.save (it has no __structure__ entry)")
        structure = json.loads(str(archive[_STRUCTURE][()]))
        if structure.get("format") != _FORMAT:
            raise ValueError(f"load: {path!r} has unknown format {structure.get('format')!r}")
        arrays = {name: archive[name] for name in archive.files if name != _STRUCTURE}
    return _decode(structure["root"], arrays)


# --- encoding ---------------------------------------------------------------------------------

def _store(array: np.ndarray, arrays: Dict[str, np.ndarray], where: str) -> str:
    if array.dtype.hasobject or array.dtype.kind == "V":
        raise TypeError(f"save: {where} is an array of dtype {array.dtype}, which cannot be "
                        "stored without pickle; use numeric, bool or string arrays")
    name = f"a{len(arrays)}"
    arrays[name] = array
    return name


def _encode(value: Any, arrays: Dict[str, np.ndarray], where: str) -> Any:
    """A JSON value for ``value``. JSON scalars stand for themselves; everything else is a
    one-key object naming its kind, so decoding is unambiguous."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        return value
    if isinstance(value, Tensor):
        return {"tensor": _store(value.data, arrays, where),
                "requires_grad": bool(value.requires_grad)}
    if isinstance(value, np.ndarray):
        return {"ndarray": _store(value, arrays, where)}
    if isinstance(value, np.generic):
        return {"scalar": _store(np.asarray(value), arrays, where)}
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not (key is None or isinstance(key, (str, int, float, bool))) \
                    or isinstance(key, np.generic):
                raise TypeError(f"save: {where} has a key {key!r} of type "
                                f"{type(key).__name__}; keys must be str, int, float, bool or "
                                "None")
            items.append([key, _encode(item, arrays, f"{where}[{key!r}]")])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [_encode(item, arrays, f"{where}[{i}]") for i, item in enumerate(value)]}
    raise TypeError(f"save: {where} is a {type(value).__name__}, which cannot be saved without "
                    "pickle; save Tensors, ndarrays, numbers, strings, None, and dicts, lists "
                    "and tuples of them (e.g. model.state_dict())")


def _decode(value: Any, arrays: Dict[str, np.ndarray]) -> Any:
    if not isinstance(value, dict):
        return value
    if "tensor" in value:
        return Tensor(arrays[value["tensor"]], requires_grad=value.get("requires_grad", False))
    if "ndarray" in value:
        return arrays[value["ndarray"]]
    if "scalar" in value:
        return arrays[value["scalar"]][()]
    if "dict" in value:
        return {key: _decode(item, arrays) for key, item in value["dict"]}
    if "list" in value:
        return [_decode(item, arrays) for item in value["list"]]
    if "tuple" in value:
        return tuple(_decode(item, arrays) for item in value["tuple"])
    raise ValueError(f"load: unknown entry {sorted(value)} in the file's structure")


# --- writing ----------------------------------------------------------------------------------

def _write_atomically(path: str, arrays: Dict[str, np.ndarray]) -> None:
    """Write the archive to a temporary file beside ``path``, then rename it over ``path``."""
    with atomic_write(path) as file:
        _write_archive(file, arrays)


def _write_archive(file: Any, arrays: Dict[str, np.ndarray]) -> None:
    np.savez(file, **arrays)
