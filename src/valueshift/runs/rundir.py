"""Run directories: the unit of work and of caching.

Lifecycle of a run, in order:

1. ``found = RunDir.prepare(out, command=..., config=..., inputs=..., overwrite=...)`` -- before any slow work
   (model loads): validates ``out`` and answers :func:`lookup`'s question. ``DONE`` means the result exists and
   the caller returns it; a refusal (foreign files, a finished run with other inputs, a live claim) is a RunError.
2. ``run = RunDir.open(...)`` -- claims the directory (:class:`~valueshift.runs.claim.Claim`), discards what is
   stale, keeps resume pieces of an unfinished run with the same key, and writes a ``running`` manifest.
3. ``run.save_partial`` / ``run.save_array`` keep finished pieces; a killed run resumes from them.
4. ``run.write_table`` / ``run.write_json`` / ``run.own`` write or declare outputs (atomically).
5. ``run.finish(**extra)`` marks the manifest ``done``, drops the pieces and releases the claim; inside
   ``with running(run):`` an exception marks it ``failed`` instead.

``--overwrite`` only ever removes entries the manifest lists as this run's outputs; a non-empty directory that
is not a valueshift run is never touched.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import fnmatch
import json
import os
import platform
import shutil
import socket
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from valueshift.errors import RunError
from valueshift.runs.atomic import atomic_path, sweep_staging, write_json_atomic, write_parquet_atomic
from valueshift.runs.claim import LOCK, Claim, holder, is_stale
from valueshift.runs.identity import SCHEMA_VERSION, run_key, tree_fingerprint

__all__ = [
    "INVOCATION",
    "MANIFEST",
    "PARTIAL",
    "Lookup",
    "RunDir",
    "Status",
    "adopt",
    "library_versions",
    "lookup",
    "read_manifest",
    "run_input",
    "running",
]

MANIFEST = "manifest.json"
PARTIAL = ".partial"
_V1_OUTPUTS = ("*.parquet", "*.json", "*.jsonl", "*.safetensors", "*.model", "figures", "checkpoints", "adapter")
# The command line that started this process's work, set by the CLI; API callers leave it None.
INVOCATION: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("valueshift_invocation", default=None)


class Status(str, Enum):
    """What :func:`lookup` finds at a run directory for a given key."""

    MISSING = "missing"  # nothing there (or only valueshift's own leftovers): start
    DONE = "done"  # finished with this very key: reuse it
    RESUMABLE = "resumable"  # unfinished with this key and nobody working on it: continue
    CLAIMED = "claimed"  # a live process is writing it
    STALE = "stale"  # a run with another key (settings or input content changed)
    FOREIGN = "foreign"  # a non-empty directory that valueshift did not write


@dataclass(frozen=True)
class Lookup:
    status: Status
    path: Path
    key: str
    manifest: dict[str, Any] | None
    detail: str = ""


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
    """The manifest of ``run_dir``, or None if there is none. A corrupt manifest is a RunError.

    Manifests written before ``schema_version`` existed (version 1) are read as they are; they carry no
    ``run_key``, so :func:`lookup` treats them as stale.
    """
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f"{path}:{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else str(path)
        raise RunError(f"{where}: manifest is not valid JSON ({exc}); fix it or choose another --out") from exc
    if not isinstance(data, dict):
        raise RunError(f"{path}: manifest is JSON but not an object; fix it or choose another --out")
    data.setdefault("schema_version", 1)
    return data


def manifest_owned(manifest: dict[str, Any] | None) -> list[str]:
    return list(manifest.get("owned", [])) if manifest else []


def _is_bookkeeping(name: str) -> bool:
    return name in (LOCK, PARTIAL) or (name.startswith(".") and name.endswith(".tmp"))


def _foreign_entries(path: Path, manifest: dict[str, Any] | None) -> list[str]:
    """Top-level entries of ``path`` that no valueshift run wrote."""
    owned = {*manifest.get("owned", []), MANIFEST} if manifest else set()
    return sorted(e.name for e in path.iterdir() if e.name not in owned and not _is_bookkeeping(e.name))


def _differences(old: dict[str, Any], command: str, config: dict[str, Any], inputs: dict[str, str]) -> str:
    if old.get("schema_version", 1) < SCHEMA_VERSION:
        return f"made by an older valueshift (schema {old.get('schema_version', 1)})"
    diffs = [] if old.get("command") == command else [f"command {old.get('command')!r}"]
    for section, new in (("config", config), ("inputs", inputs)):
        prev = old.get(section) or {}
        diffs += [f"{section}.{k}" for k in sorted(set(prev) | set(new)) if prev.get(k) != new.get(k)]
    return "differs in " + (", ".join(diffs[:6]) or "its key")


def lookup(out: str | os.PathLike[str], key: str) -> Lookup:
    """Where ``out`` stands for a run with ``key``: missing, done, resumable, claimed, stale or foreign."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise RunError(f"{path}: exists and is not a directory; choose another --out")
    if not path.exists():
        return Lookup(Status.MISSING, path, key, None)
    manifest = read_manifest(path)
    info = holder(path)
    if info is not None and not is_stale(info) and not _is_own(info):
        return Lookup(Status.CLAIMED, path, key, manifest, f"pid {info.get('pid')} on {info.get('host')}")
    # a valueshift run may hold a user's notes next to its outputs: they are left alone, not a reason to refuse
    foreign = _foreign_entries(path, manifest) if manifest is None else []
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        return Lookup(Status.FOREIGN, path, key, manifest, shown)
    if manifest is None:
        return Lookup(Status.MISSING, path, key, None)
    if manifest.get("run_key") != key:
        return Lookup(Status.STALE, path, key, manifest)
    status = Status.DONE if manifest.get("status") == "done" else Status.RESUMABLE
    return Lookup(status, path, key, manifest)


def _is_own(info: dict[str, Any]) -> bool:
    """A claim this very process holds (it looks its own run up again after claiming it)."""
    return info.get("pid") == os.getpid() and info.get("host") == socket.gethostname()


def check_writable(path: Path) -> None:
    """Refuse an ``--out`` that cannot be created (a RunError naming why), before any slow work; creates nothing."""
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise RunError(f"{path}: {probe} is a file, so the directory cannot be created; choose another --out")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise RunError(f"{path}: {probe} is not writable; choose another --out")
    # permission bits do not tell the whole story (/proc, /sys, read-only mounts, full disks): try for real
    trial = probe / f".valueshift-write-test.{os.getpid()}.tmp"
    try:
        trial.mkdir()
        trial.rmdir()
    except OSError as exc:
        raise RunError(f"{path}: cannot create anything in {probe} ({exc.strerror}); choose another --out") from exc


def run_input(run_dir: str | os.PathLike[str]) -> str:
    """How a downstream run names an upstream one: its key and the hash of its outputs (content, not path)."""
    manifest = read_manifest(run_dir)
    if manifest is None or manifest.get("status") != "done":
        raise RunError(f"{run_dir}: not a finished valueshift run; run it first")
    return f"{manifest.get('run_key')}:{manifest.get('outputs_sha256')}"


def adopt(run_dir: str | os.PathLike[str], *names: str) -> None:
    """Record entries that a later valueshift step adds to a finished run (e.g. ``figures/``) as its outputs,
    so ``--overwrite`` may replace them; the run's key and outputs hash are unchanged."""
    path = Path(run_dir)
    manifest = read_manifest(path)
    if manifest is None:
        raise RunError(f"{path}: not a valueshift run directory")
    owned = set(manifest.get("owned", []))
    if not set(names) <= owned:
        manifest["owned"] = sorted(owned | set(names))
        write_json_atomic(path / MANIFEST, manifest)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class RunDir:
    """One output directory with a ``manifest.json``; see the module docstring for the lifecycle."""

    def __init__(self, path: Path, manifest: dict[str, Any], claim: Claim | None = None) -> None:
        self.path = path
        self.manifest = manifest
        self._claim = claim

    # -- lifecycle -----------------------------------------------------------------------------------------
    @staticmethod
    def prepare(
        out: str | os.PathLike[str],
        *,
        command: str,
        config: dict[str, Any],
        inputs: dict[str, str],
        overwrite: bool = False,
        wait: bool = False,
    ) -> Lookup:
        """Validate ``out`` and look the run up, creating nothing; raise for what :meth:`open` would refuse."""
        path = Path(out)
        check_writable(path)
        found = lookup(path, run_key(command, config, inputs))
        if found.status is Status.FOREIGN:
            raise RunError(
                f"{path}: holds files valueshift did not write ({found.detail}); valueshift never deletes them, "
                "so choose another --out" + (" (--overwrite only replaces valueshift's own runs)" if overwrite else "")
            )
        if found.status is Status.CLAIMED and not wait:
            raise RunError(
                f"{path}: another valueshift process is writing this run ({found.detail}); "
                "wait for it (--wait), or choose another --out"
            )
        old = found.manifest
        if found.status is Status.STALE and old is not None and old.get("status") == "done" and not overwrite:
            raise RunError(
                f"{path}: holds a finished '{old.get('command')}' run that "
                f"{_differences(old, command, config, inputs)}; pass --overwrite to replace it, or choose another --out"
            )
        return found

    @classmethod
    def open(
        cls,
        out: str | os.PathLike[str],
        *,
        command: str,
        config: dict[str, Any],
        inputs: dict[str, str],
        overwrite: bool = False,
        wait: bool = False,
        seed: int | None = None,
    ) -> RunDir:
        """Claim ``out`` and start (or resume) the run; see the module docstring."""
        path = Path(out)
        cls.prepare(path, command=command, config=config, inputs=inputs, overwrite=overwrite, wait=wait)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"{path}: cannot create the run directory ({exc.strerror}); choose another --out") from exc
        claim = Claim.acquire(path, wait=wait)
        try:
            key = run_key(command, config, inputs)
            found = lookup(path, key)  # again, under the claim: another process may have finished meanwhile
            if found.status is Status.DONE and not overwrite:
                raise RunError(f"{path}: was finished by another process meanwhile; nothing to do")
            old = found.manifest
            resumed = found.status is Status.RESUMABLE and not overwrite
            if old is not None and not resumed:
                if found.status is Status.STALE and old.get("status") != "done":
                    warnings.warn(
                        f"{path}: discarding an unfinished run that {_differences(old, command, config, inputs)}",
                        stacklevel=2,
                    )
                cls._discard(path, old)
            for folder in (path, *(path / name for name in manifest_owned(old))):
                sweep_staging(folder)  # staging of a killed writer (a half-written checkpoint), never a user's file
            manifest = {
                "schema_version": SCHEMA_VERSION,
                "command": command,
                "run_key": key,
                "config": config,
                "inputs": inputs,
                "invocation": INVOCATION.get(),
                "versions": library_versions(),
                "seed": seed,
                "started_at": old["started_at"] if resumed and old else _now(),
                "finished_at": None,
                "status": "running",
                "resumed": resumed,
                "owned": sorted(set(old.get("owned", [])) if resumed and old else set()),
            }
            run = cls(path, manifest, claim)
            run._write_manifest()
            return run
        except BaseException:
            claim.release()
            raise

    @staticmethod
    def _discard(path: Path, old: dict[str, Any]) -> None:
        """Remove what an earlier valueshift run in ``path`` wrote, and nothing else."""
        owned = set(old.get("owned", []))
        if old.get("schema_version", 1) < 2:  # v1 manifests did not list outputs: take what v1 stages wrote
            owned = {e.name for e in path.iterdir() if any(fnmatch.fnmatch(e.name, p) for p in _V1_OUTPUTS)}
        for name in sorted(owned | {MANIFEST, PARTIAL}):
            entry = path / name
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            elif entry.exists() or entry.is_symlink():
                entry.unlink()

    def finish(self, **extra: Any) -> None:
        """Mark the run done, record ``extra`` and the outputs' hash, remove resume pieces, release the claim."""
        self.manifest.update(extra)
        self.manifest["outputs_sha256"] = tree_fingerprint(self.path, exclude={MANIFEST})
        self.manifest["status"] = "done"
        self.manifest["finished_at"] = _now()
        self._write_manifest()
        shutil.rmtree(self.path / PARTIAL, ignore_errors=True)
        self.release()

    def fail(self, reason: str) -> None:
        """Mark the run failed (its pieces are kept for a resume), with the reason; release the claim."""
        self.manifest["status"] = "failed"
        self.manifest["error"] = reason
        self._write_manifest()
        self.release()

    def release(self) -> None:
        if self._claim is not None:
            self._claim.release()
            self._claim = None

    def update(self, **fields: Any) -> None:
        """Record extra manifest fields now (e.g. a hub model's resolved revision once it is loaded)."""
        self.manifest.update(fields)
        self._write_manifest()

    # -- files -----------------------------------------------------------------------------------------------
    def own(self, *names: str) -> None:
        """Declare top-level entries this run writes (so ``--overwrite`` may later remove them, and only them)."""
        new = set(names) - set(self.manifest["owned"])
        if new:
            self.manifest["owned"] = sorted(set(self.manifest["owned"]) | new)
            self._write_manifest()

    def write_table(self, name: str, df: pd.DataFrame) -> Path:
        self.own(name)
        target = self.path / name
        write_parquet_atomic(target, df)
        return target

    def write_json(self, name: str, obj: Any) -> Path:
        self.own(name)
        target = self.path / name
        write_json_atomic(target, obj)
        return target

    def save_partial(self, key: str, df: pd.DataFrame) -> None:
        write_parquet_atomic(self.path / PARTIAL / f"{key}.parquet", df)

    def load_partial(self, key: str) -> pd.DataFrame | None:
        """A saved piece, or None; an unreadable piece (truncated by a kill) is dropped and recomputed."""
        return self._load_piece(self.path / PARTIAL / f"{key}.parquet", pd.read_parquet)

    def save_array(self, key: str, array: np.ndarray) -> None:
        with atomic_path(self.path / PARTIAL / f"{key}.npy") as tmp, tmp.open("wb") as fh:
            np.save(fh, np.ascontiguousarray(array), allow_pickle=False)

    def load_array(self, key: str) -> np.ndarray | None:
        """A saved array piece (never unpickled), or None; an unreadable piece is dropped and recomputed."""
        return self._load_piece(self.path / PARTIAL / f"{key}.npy", lambda f: np.load(f, allow_pickle=False))

    @staticmethod
    def _load_piece(path: Path, read: Any) -> Any:
        if not path.exists():
            return None
        try:
            return read(path)
        except Exception as exc:  # any reader error means the piece is damaged; recomputing it is always safe
            warnings.warn(f"{path}: unreadable resume piece ({type(exc).__name__}); recomputing it", stacklevel=3)
            path.unlink(missing_ok=True)
            return None

    def _write_manifest(self) -> None:
        write_json_atomic(self.path / MANIFEST, self.manifest)


@contextlib.contextmanager
def running(run: RunDir) -> Iterator[RunDir]:
    """Mark ``run`` failed (not half-done and silent) if the block raises; always release its claim."""
    try:
        yield run
    except BaseException as exc:
        run.fail(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        run.release()
