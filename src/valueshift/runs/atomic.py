"""Atomic writes: every file and directory valueshift writes appears whole or not at all.

Temporary entries are named ``.<target>.<pid>-<random>.tmp`` next to their target, created with the user's umask
(collaborators on shared storage can read outputs), and renamed into place. A killed process leaves only such a
hidden entry; :func:`sweep_staging` removes the ones whose process is gone.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "atomic_dir",
    "atomic_path",
    "json_safe",
    "staging_name",
    "sweep_staging",
    "write_json_atomic",
    "write_parquet_atomic",
]


def staging_name(target: Path) -> Path:
    """A fresh hidden sibling of ``target`` that names this process, so a later run can tell it is abandoned."""
    return target.parent / f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def sweep_staging(parent: str | os.PathLike[str], name: str | None = None) -> list[Path]:
    """Remove staging entries under ``parent`` (for ``name`` only, if given) whose writing process has died.

    Only entries that match valueshift's own staging pattern are touched; a live process's staging is kept.
    """
    parent = Path(parent)
    removed: list[Path] = []
    if not parent.is_dir():
        return removed
    prefix = f".{name}." if name is not None else "."
    for entry in parent.iterdir():
        n = entry.name
        if not (n.startswith(prefix) and n.endswith(".tmp")):
            continue
        pid_part = n[: -len(".tmp")].rsplit(".", 1)[-1].split("-", 1)[0]
        if not pid_part.isdigit() or _pid_alive(int(pid_part)):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it onto ``target`` if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_name(target)
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # 0o666 & ~umask, like any new file
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory next to ``target``; if the block succeeds it replaces ``target``.

    A kill leaves only a hidden staging folder (removed by the next writer), never half a model under ``target``.
    An existing ``target`` is first renamed aside, so it is missing only between two renames.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_staging(target.parent, target.name)
    tmp = staging_name(target)
    os.mkdir(tmp, 0o777)  # honours the umask, unlike mkdtemp's 0700
    try:
        yield tmp
        old = staging_name(target) if target.exists() else None
        if old is not None:
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def json_safe(obj: Any) -> Any:
    """A strict-JSON copy: NaN/inf and ``pd.NA`` -> None, numpy scalars and arrays -> Python, paths -> str.

    Anything else that JSON cannot hold is a TypeError: manifests must stay readable by any JSON parser.
    """
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if obj is pd.NA:
        return None
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    raise TypeError(f"{type(obj).__name__} is not JSON data: {obj!r:.80}")


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as sorted, indented, strict JSON (NaN becomes null), atomically."""
    text = json.dumps(json_safe(obj), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")


def write_parquet_atomic(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Write ``df`` to parquet (no index), atomically."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)
