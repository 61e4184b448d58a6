"""``valueshift run FILE`` (an experiment grid) and ``valueshift status DIR`` (where each node stands)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer

__all__ = ["register"]

_STYLE = {"done": "green", "failed": "bold red", "blocked": "red", "running": "cyan", "run": "yellow",
          "pending": "dim"}  # fmt: skip


def _table(title: str, states: dict[str, Any], label: dict[str, str] | None = None) -> object:
    from rich.table import Table

    table = Table(title=title)
    for col in ("node", "state", "message"):
        table.add_column(col, overflow="fold")
    for nid, st in states.items():
        name = (label or {}).get(st.state, st.state)
        msg = "" if st.state == "done" else st.message
        table.add_row(nid, f"[{_STYLE.get(st.state, '')}]{name}[/]", msg)
    return table


def run(
    experiment: Annotated[Path, typer.Argument(help="Experiment file (TOML), e.g. experiments/echoes-mini.toml.")],
    out: Annotated[Path, typer.Option("--out", help="Grid folder: one run directory per node.")] = Path("runs/grid"),
    data_root: Annotated[Path, typer.Option("--data-root", help="Folder that relative corpus paths are under.")] = Path(
        "../shared/data"
    ),
    executor: Annotated[
        Literal["local", "ray", "slurm"], typer.Option("--executor", help="local (default), ray or slurm.")
    ] = "local",
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="Local executor: nodes run at once (processes).")] = 1,
    keep_going: Annotated[
        bool, typer.Option("--keep-going/--stop-on-failure", help="A failed node does not stop independent ones.")
    ] = True,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan (to run / cached / pending).")] = False,
    ray_address: Annotated[str | None, typer.Option("--ray-address", help="Ray cluster address.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No per-node lines.")] = False,
) -> None:
    """Run an experiment grid: every finished node is reused, a killed grid resumes, failures stay local."""
    from rich.console import Console

    from valueshift.experiments import run_experiment

    console = Console(stderr=True, quiet=quiet)

    def on_event(nid: str, st: object) -> None:
        state = getattr(st, "state", "?")
        msg = "" if state == "done" else f": {getattr(st, 'message', '')}"
        console.print(f"[{_STYLE.get(state, '')}]{state:>7}[/] {nid}{msg}")

    states = run_experiment(
        experiment, out, data_root=data_root, executor=executor, jobs=jobs, keep_going=keep_going,
        dry_run=dry_run, ray_address=ray_address, on_event=on_event,
    )  # fmt: skip
    if dry_run:
        Console().print(_table(f"plan of {experiment}", states, {"done": "cached", "run": "to run"}))
        counts = {k: sum(s.state == k for s in states.values()) for k in ("run", "done", "pending")}
        typer.echo(f"{counts['run']} to run, {counts['done']} cached, {counts['pending']} pending (upstream not done)")
        return
    bad = {k: v for k, v in states.items() if v.state != "done"}
    typer.echo(f"{len(states) - len(bad)}/{len(states)} nodes done in {out}; report: {out / 'report' / 'report.html'}")
    if bad:
        Console(stderr=True).print(_table("unfinished nodes", bad))
        raise typer.Exit(1)


def status(out: Annotated[Path, typer.Argument(help="Grid folder written by `valueshift run`.")]) -> None:
    """done / running / failed / to run / pending per node, with each failure's message."""
    from rich.console import Console

    from valueshift.experiments import grid_status

    states = grid_status(out)
    Console(width=200).print(_table(f"grid {out}", states, {"run": "to run"}))
    counts: dict[str, int] = {}
    for s in states.values():
        counts[s.state] = counts.get(s.state, 0) + 1
    typer.echo(", ".join(f"{v} {k}" for k, v in sorted(counts.items())))


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("status")(status)
