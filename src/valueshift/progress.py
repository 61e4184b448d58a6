"""Progress bars (rich) that can be silenced with ``--quiet`` and that stay silent when not on a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["note", "progress_bar"]


class _Bar:
    def __init__(self, progress: Progress | None, task: int | None) -> None:
        self._progress, self._task = progress, task

    def advance(self, n: int = 1, **fields: object) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=n, **fields)  # type: ignore[arg-type]

    def update(self, **fields: object) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, **fields)  # type: ignore[arg-type]


@contextlib.contextmanager
def progress_bar(total: int, description: str, *, quiet: bool = False, extra: str = "") -> Iterator[_Bar]:
    """A rich progress bar; ``extra`` is a format string over task fields (e.g. ``"loss {task.fields[loss]}"``)."""
    if quiet or not sys.stderr.isatty():
        yield _Bar(None, None)
        return
    columns = [
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    if extra:
        columns.append(TextColumn(extra))
    with Progress(*columns, transient=False) as prog:
        task = prog.add_task(description, total=total, loss=float("nan"), rate=0.0)
        yield _Bar(prog, task)


def note(message: str) -> None:
    """A one-line status message on stderr (e.g. a reused run); ``--quiet`` silences bars, not these."""
    print(message, file=sys.stderr)
