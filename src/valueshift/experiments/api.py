"""``run_experiment`` and ``grid_status``: the Python side of ``valueshift run`` and ``valueshift status``.

Lifecycle of :func:`run_experiment`: load and validate the experiment file (pydantic, then feasibility: corpora
loaded, sizes checked) -> plan the nodes -> write ``OUT/grid.json`` (the plan, so ``status`` needs only ``OUT``)
-> with ``dry_run`` return the states (to run / cached / pending) -> else run the nodes on the chosen executor.
Nothing is written before the file and every cell validate.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from valueshift.errors import ExperimentError
from valueshift.experiments.executors import ExecutorName, run_nodes
from valueshift.experiments.nodes import Node
from valueshift.experiments.plan import NodeState, plan, states
from valueshift.experiments.spec import load_experiment

__all__ = ["GRID_FILE", "grid_status", "load_plan", "plan_experiment", "run_experiment"]

GRID_FILE = "grid.json"


def plan_experiment(path: str | os.PathLike[str], out: str | os.PathLike[str],
                    data_root: str | os.PathLike[str] | None = None) -> tuple[Any, list[Node]]:  # fmt: skip
    """Validate the experiment file and every cell; return it with its nodes (nothing written)."""
    exp, root = load_experiment(Path(path), None if data_root is None else Path(data_root))
    return exp, plan(exp, out, root)


def run_experiment(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    data_root: str | os.PathLike[str] | None = None,
    executor: ExecutorName = "local",
    jobs: int = 1,
    keep_going: bool = True,
    dry_run: bool = False,
    ray_address: str | None = None,
    slurm_cluster: str | None = None,
    on_event: Any = None,
) -> dict[str, NodeState]:
    """Run (or with ``dry_run`` only look up) every node of the experiment grid into ``out``.

    Returns each node's state: ``done``, ``failed`` (with the message), ``blocked``, ``run``/``pending``.
    """
    from valueshift.runs import write_json_atomic

    exp, nodes = plan_experiment(path, out, data_root)
    if dry_run:
        return states(nodes)
    out = Path(out)
    write_json_atomic(out / GRID_FILE, {"experiment": str(Path(path).resolve()), "name": exp.name,
                                        "nodes": [n.to_json() for n in nodes]})  # fmt: skip
    return run_nodes(nodes, out.resolve(), executor=executor, jobs=jobs, keep_going=keep_going,
                     resources=dict(exp.resources), slurm=exp.slurm, ray_address=ray_address,
                     slurm_cluster=slurm_cluster, on_event=on_event)  # fmt: skip


def load_plan(out: str | os.PathLike[str]) -> list[Node]:
    """The nodes a grid directory was run with (``OUT/grid.json``)."""
    file = Path(out) / GRID_FILE
    if not file.is_file():
        raise ExperimentError(f"{out}: no {GRID_FILE}; not a grid directory (run `valueshift run FILE --out {out}`)")
    return [Node.from_json(n) for n in json.loads(file.read_text(encoding="utf-8"))["nodes"]]


def grid_status(out: str | os.PathLike[str]) -> dict[str, NodeState]:
    """done / running / failed / run / pending / blocked per node, read from the run directories."""
    return states(load_plan(out))
