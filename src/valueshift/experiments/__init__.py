"""Experiment grids: a whole study declared in one TOML file, run as a cached, resumable job graph.

Lifecycle: :func:`load_experiment` (validate) -> :func:`plan_experiment` (feasibility, nodes) ->
:func:`run_experiment` (executors: local, ray, slurm) -> ``claims`` and ``report`` nodes. Each node is one stage
call whose run key is its cache (:mod:`valueshift.runs`). See docs/experiments.md.
"""

from __future__ import annotations

from valueshift.experiments.api import grid_status, load_plan, plan_experiment, run_experiment
from valueshift.experiments.nodes import NODE_TYPES, Node, register
from valueshift.experiments.plan import NodeState
from valueshift.experiments.spec import Experiment, load_experiment

__all__ = [
    "NODE_TYPES",
    "Experiment",
    "Node",
    "NodeState",
    "grid_status",
    "load_experiment",
    "load_plan",
    "plan_experiment",
    "register",
    "run_experiment",
]
