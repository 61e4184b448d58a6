"""Run identity: a run's key is a hash of what determines its result, and nothing else.

``run_key(command, config, inputs)`` hashes the command, the canonical JSON of the stage config, the content
hashes of its inputs and :data:`SCHEMA_VERSION`. Inputs are content, never paths: a file's SHA-256, a model
directory's weights/config/tokenizer hash (:func:`model_fingerprint`), an upstream run's key plus the hash of the
outputs it gave. So rebuilding a model at the same path changes the key, and two byte-identical models share one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

from valueshift.errors import RunError

__all__ = [
    "SCHEMA_VERSION",
    "canonical_json",
    "config_hash",
    "file_fingerprint",
    "model_fingerprint",
    "run_key",
    "tree_fingerprint",
]

SCHEMA_VERSION = 2  # bump when the meaning of a manifest field or of a stage's output changes

# Files in a model directory that are valueshift's bookkeeping, not the model: they change with every run
# (timestamps, throughput) and must not change the model's identity.
_NOT_MODEL = {"manifest.json", "train_log.jsonl", "train_examples.parquet", "probe_defects.json"}


def _check_json(obj: Any, where: str) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise RunError(f"cannot hash {where}: key {k!r} is not a string")
            _check_json(v, f"{where}.{k}")
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _check_json(v, f"{where}[{i}]")
    elif isinstance(obj, float) and not math.isfinite(obj):
        raise RunError(f"cannot hash {where}: {obj} is not a JSON number")
    elif not (obj is None or isinstance(obj, str | int | float | bool)):
        raise RunError(f"cannot hash {where}: a {type(obj).__name__} is not JSON data; pass plain values")


def canonical_json(obj: Any, where: str = "config") -> str:
    """Sorted, compact JSON of plain data; a non-JSON value is a RunError (it would hash by its ``str()``)."""
    _check_json(obj, where)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def config_hash(config: dict[str, Any]) -> str:
    """A short stable hash of a JSON config (key order does not matter)."""
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()[:16]


def run_key(command: str, config: dict[str, Any], inputs: dict[str, str]) -> str:
    """The content-addressed identity of a run (see the module docstring)."""
    blob = canonical_json(
        {"command": command, "config": config, "inputs": inputs, "schema_version": SCHEMA_VERSION}, "run"
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _hash_file(h: Any, path: Path) -> None:
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)


def file_fingerprint(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's whole content (every byte: a changed weight anywhere changes it)."""
    h = hashlib.sha256()
    _hash_file(h, Path(path))
    return h.hexdigest()


def tree_fingerprint(path: str | os.PathLike[str], *, exclude: set[str] | frozenset[str] = frozenset()) -> str:
    """SHA-256 over the relative names and contents of the non-hidden files below ``path``."""
    root = Path(path)
    h = hashlib.sha256()
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and not any(s.startswith(".") for s in p.relative_to(root).parts)
        and p.relative_to(root).parts[0] not in exclude
    )
    for f in files:
        rel = f.relative_to(root).as_posix()
        h.update(f"{rel}\0{f.stat().st_size}\0".encode())
        _hash_file(h, f)
    return h.hexdigest()


def model_fingerprint(model: str | os.PathLike[str]) -> str:
    """Identity of a model: for a local directory, the hash of its top-level model files (weights, config,
    tokenizer), excluding valueshift's bookkeeping and sub-folders (checkpoints, adapters); for a hub id, the id
    itself (its resolved revision is recorded in the manifest once loaded)."""
    path = Path(model).expanduser()
    if not path.is_dir():
        return f"hub:{model}"
    h = hashlib.sha256()
    for f in sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")):
        if f.name in _NOT_MODEL:
            continue
        h.update(f"{f.name}\0{f.stat().st_size}\0".encode())
        _hash_file(h, f)
    return h.hexdigest()
