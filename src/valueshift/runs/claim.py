"""Claims: one process at a time writes a run directory.

A claim is the file ``<run>/.lock``, created with ``O_EXCL`` (atomic on local and NFSv3+ file systems) and holding
the holder's host, pid and start time. While the holder works, a daemon thread refreshes the file's mtime every
:data:`HEARTBEAT_S` seconds. A claim is *stale* (and may be broken) when its process is gone on this host, or its
heartbeat is older than :data:`STALE_AFTER_S` on another host.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from valueshift.errors import RunError
from valueshift.runs.atomic import _pid_alive

__all__ = ["HEARTBEAT_S", "LOCK", "STALE_AFTER_S", "Claim", "holder", "is_stale"]

LOCK = ".lock"
HEARTBEAT_S = 30.0
STALE_AFTER_S = 600.0


def holder(run_dir: Path) -> dict[str, Any] | None:
    """The claim on ``run_dir`` (host, pid, started, age_s), or None if it is unclaimed."""
    path = run_dir / LOCK
    try:
        info = json.loads(path.read_text())
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None
    except (OSError, ValueError):  # half-written by a holder killed mid-write: judge it by its age alone
        info, age = {}, time.time() - path.stat().st_mtime if path.exists() else 0.0
    if not isinstance(info, dict):
        info = {}
    return {**info, "age_s": age}


def is_stale(info: dict[str, Any]) -> bool:
    """Whether a claim's holder is certainly gone (dead pid here) or silent for too long (elsewhere)."""
    if info.get("host") == socket.gethostname() and isinstance(info.get("pid"), int):
        return not _pid_alive(info["pid"])
    return float(info.get("age_s", 0.0)) > STALE_AFTER_S


def _describe(info: dict[str, Any]) -> str:
    return f"pid {info.get('pid', '?')} on {info.get('host', '?')} (heartbeat {info.get('age_s', 0):.0f} s ago)"


@dataclass
class Claim:
    """An exclusive claim on a run directory; release it with :meth:`release` (or use it as a context)."""

    run_dir: Path
    _stop: threading.Event
    _thread: threading.Thread | None = None

    @classmethod
    def acquire(cls, run_dir: Path, *, wait: bool = False, poll_s: float = 1.0) -> Claim:
        """Claim ``run_dir`` (which must exist); a live holder is a RunError, or with ``wait`` polled until gone."""
        path = run_dir / LOCK
        record = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "started": time.time()})
        while True:
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                info = holder(run_dir)
                if info is None:
                    continue  # released between our open and our read
                if is_stale(info):
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                    continue
                if not wait:
                    raise RunError(
                        f"{run_dir}: another valueshift process is writing this run ({_describe(info)}); "
                        "wait for it (--wait), or choose another --out"
                    ) from None
                time.sleep(poll_s)
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(record)
            claim = cls(run_dir, threading.Event())
            claim._start_heartbeat()
            return claim

    def _start_heartbeat(self) -> None:
        def beat() -> None:
            while not self._stop.wait(HEARTBEAT_S):
                with contextlib.suppress(OSError):
                    os.utime(self.run_dir / LOCK)

        self._thread = threading.Thread(target=beat, name=f"valueshift-claim:{self.run_dir.name}", daemon=True)
        self._thread.start()

    def release(self) -> None:
        self._stop.set()
        with contextlib.suppress(FileNotFoundError):
            (self.run_dir / LOCK).unlink()

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
