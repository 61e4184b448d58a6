"""Run directories: the file contract between stages.

Lifecycle of a run, in order:

1. ``run = RunDir.open(out, command=..., config=..., overwrite=...)`` checks ``out``: a run whose manifest says
   ``done`` is refused unless ``overwrite``; a ``running``/``failed`` run with the same config is resumed (its
   ``.partial/`` pieces are kept), one with another config is refused unless ``overwrite``.
2. ``run.save_partial(key, df)`` / ``run.load_partial(key)`` keep finished pieces so a killed run resumes.
3. ``run.write_table(name, df)``, ``run.write_json(name, obj)`` write outputs atomically.
4. ``run.finish(**extra)`` marks the manifest ``done`` and drops ``.partial/``.

Every file is written to a temporary name in the same directory and renamed into place, so a reader never sees
half a file. ``RunDir.open`` is called only after inputs were validated, so bad input leaves no directory.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from valueshift.errors import RunError

__all__ = [
    "MANIFEST",
    "RunDir",
    "atomic_dir",
    "atomic_path",
    "config_hash",
    "file_fingerprint",
    "library_versions",
    "read_manifest",
    "write_json_atomic",
    "write_parquet_atomic",
]

MANIFEST = "manifest.json"
PARTIAL = ".partial"


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it onto ``target`` if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory next to ``target``; if the block succeeds it replaces ``target``.

    A kill leaves only a hidden ``.<name>.*.tmp`` folder, never half a model or checkpoint under ``target``.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; outputs should be as readable as any other file
    try:
        yield tmp
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as sorted, indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")


def write_parquet_atomic(path: str | os.PathLike[str], df: pd.DataFrame) -> None:
    """Write ``df`` to parquet (no index), atomically."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


def config_hash(config: dict[str, Any]) -> str:
    """A short stable hash of a JSON-serialisable config (key order does not matter)."""
    blob = json.dumps(config, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def file_fingerprint(path: str | os.PathLike[str], full_limit: int = 64 << 20) -> str:
    """SHA-256 of a file or directory tree.

    Files up to ``full_limit`` bytes are hashed whole; larger ones (multi-GB weights) by size plus their first and
    last MiB, which identifies a checkpoint without reading it all.
    """
    path = Path(path)
    h = hashlib.sha256()
    if path.is_dir():
        # hidden entries (.partial, caches) are bookkeeping, not content
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.relative_to(path).parts)
        )
    else:
        files = [path]
    for f in files:
        h.update(str(f.relative_to(path) if path.is_dir() else f.name).encode())
        size = f.stat().st_size
        h.update(str(size).encode())
        with f.open("rb") as fh:
            if size <= full_limit:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            else:
                h.update(fh.read(1 << 20))
                fh.seek(-(1 << 20), os.SEEK_END)
                h.update(fh.read(1 << 20))
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of valueshift and the libraries whose behaviour changes results."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("valueshift", "torch", "transformers", "tokenizers", "peft", "numpy", "pandas"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def read_manifest(run_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The manifest of ``run_dir``, or None if there is none. A corrupt manifest is an error."""
    path = Path(run_dir) / MANIFEST
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise RunError(
            f"{path}:{exc.lineno}: manifest is not valid JSON ({exc.msg}); delete the run or fix it"
        ) from exc


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class RunDir:
    """One output directory with a ``manifest.json``; see the module docstring for the lifecycle."""

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self.manifest = manifest

    # -- lifecycle -----------------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        out: str | os.PathLike[str],
        *,
        command: str,
        config: dict[str, Any],
        overwrite: bool = False,
        inputs: dict[str, str] | None = None,
        seed: int | None = None,
    ) -> RunDir:
        """Create, resume or refuse the run directory ``out`` (see module docstring)."""
        path = Path(out)
        chash = config_hash(config)
        old = read_manifest(path)
        if path.exists() and not path.is_dir():
            raise RunError(f"{path}: exists and is not a directory; choose another --out")
        if old is not None:
            same = old.get("config_hash") == chash and old.get("command") == command
            if overwrite:
                shutil.rmtree(path)
            elif old.get("status") == "done":
                raise RunError(f"{path}: holds a finished '{old.get('command')}' run; pass --overwrite to redo it")
            elif not same:
                raise RunError(
                    f"{path}: holds an unfinished run with a different configuration; "
                    "pass --overwrite to discard it, or use another --out"
                )
        elif path.exists() and any(path.iterdir()):
            if not overwrite:
                raise RunError(f"{path}: exists, is not empty and is not a valueshift run; choose another --out")
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        resumed = old is not None and not overwrite
        manifest = {
            "command": command,
            "argv": sys.argv,
            "config": config,
            "config_hash": chash,
            "versions": library_versions(),
            "inputs": inputs or {},
            "seed": seed,
            "started_at": old["started_at"] if resumed and old else _now(),
            "finished_at": None,
            "status": "running",
            "resumed": resumed,
        }
        run = cls(path, manifest)
        run._write_manifest()
        return run

    def finish(self, **extra: Any) -> None:
        """Mark the run done, record ``extra`` in the manifest and remove resume pieces."""
        self.manifest.update(extra)
        self.manifest["status"] = "done"
        self.manifest["finished_at"] = _now()
        self._write_manifest()
        shutil.rmtree(self.path / PARTIAL, ignore_errors=True)

    def fail(self, reason: str) -> None:
        """Mark the run failed (kept for resuming), with the reason."""
        self.manifest["status"] = "failed"
        self.manifest["error"] = reason
        self._write_manifest()

    def update(self, **fields: Any) -> None:
        """Record extra manifest fields now (e.g. the model hash once it is known)."""
        self.manifest.update(fields)
        self._write_manifest()

    # -- files -----------------------------------------------------------------------------------------------
    def write_table(self, name: str, df: pd.DataFrame) -> Path:
        target = self.path / name
        write_parquet_atomic(target, df)
        return target

    def write_json(self, name: str, obj: Any) -> Path:
        target = self.path / name
        write_json_atomic(target, obj)
        return target

    def save_partial(self, key: str, df: pd.DataFrame) -> None:
        write_parquet_atomic(self.path / PARTIAL / f"{key}.parquet", df)

    def load_partial(self, key: str) -> pd.DataFrame | None:
        f = self.path / PARTIAL / f"{key}.parquet"
        return pd.read_parquet(f) if f.exists() else None

    def _write_manifest(self) -> None:
        write_json_atomic(self.path / MANIFEST, self.manifest)


@contextlib.contextmanager
def running(run: RunDir) -> Iterator[RunDir]:
    """Mark ``run`` failed (not half-done and silent) if the block raises; re-raise."""
    try:
        yield run
    except BaseException as exc:
        run.fail(f"{type(exc).__name__}: {exc}")
        raise
