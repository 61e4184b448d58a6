"""Grid nodes: one node is one stage call (typed config in, run directory out) and one registered node type.

A node type gives two functions. ``job(node, deps)`` returns the run's identity ``{command, config, inputs}``
exactly as the stage computes it (so :func:`valueshift.runs.lookup` with :func:`valueshift.runs.run_key` tells
whether the node is done: the grid has no cache of its own); it needs the upstream run directories finished,
because inputs are their *content*. ``run(node, deps, overwrite)`` calls the stage. ``deps`` maps each upstream
node id to its run directory. A new stage joins the grid by calling :func:`register` once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["NODE_TYPES", "Node", "NodeType", "model_path", "register"]

Job = dict[str, Any]
Deps = dict[str, Path]


@dataclass(frozen=True)
class Node:
    """One job of the grid: its id (also its folder under the grid's output), type, upstream ids and settings."""

    id: str
    kind: str
    out: str
    deps: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "out": self.out, "deps": list(self.deps), "params": self.params}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Node:
        return cls(data["id"], data["kind"], data["out"], tuple(data["deps"]), data["params"])


@dataclass(frozen=True)
class NodeType:
    name: str
    job: Callable[[Node, Deps], Job]
    run: Callable[[Node, Deps, bool], None]


NODE_TYPES: dict[str, NodeType] = {}


def register(name: str, job: Callable[[Node, Deps], Job], run: Callable[[Node, Deps, bool], None]) -> None:
    """Add a node type (a stage) to the grid."""
    NODE_TYPES[name] = NodeType(name, job, run)


def model_path(node: Node, deps: Deps) -> str:
    """The model a node starts from: an upstream run's model folder, or a hub id / local path."""
    src = node.params["model_node"]
    if src is None:
        return str(node.params["model"])
    return str(deps[src] / node.params.get("model_sub", ""))


# -- model: a tiny random-init model built offline ------------------------------------------------------------
def _model_job(node: Node, deps: Deps) -> Job:
    return {"command": "tiny-model", "config": dict(node.params["tiny"]), "inputs": {}}


def _model_run(node: Node, deps: Deps, overwrite: bool) -> None:
    from valueshift.models import build_tiny_model
    from valueshift.runs import RunDir, running

    p = node.params["tiny"]
    run = RunDir.open(node.out, **_model_job(node, deps), overwrite=overwrite, seed=p["seed"])
    with running(run):
        run.own("model")
        build_tiny_model(run.path / "model", size=p["size"], seed=p["seed"], kind=p["kind"], overwrite=True)
        run.finish()


# -- finetune --------------------------------------------------------------------------------------------------
def _ft_config(node: Node, deps: Deps) -> Any:
    from valueshift.training import FinetuneConfig

    return FinetuneConfig.from_json({"model": model_path(node, deps), **node.params["config"]})


def _ft_job(node: Node, deps: Deps) -> Job:
    from valueshift.training.api import finetune_job

    return finetune_job(_ft_config(node, deps), None)[1]


def _ft_run(node: Node, deps: Deps, overwrite: bool) -> None:
    from valueshift.training import run_finetune

    run_finetune(_ft_config(node, deps), node.out, overwrite=overwrite, quiet=True)


# -- probe -----------------------------------------------------------------------------------------------------
def _probe_config(node: Node, deps: Deps) -> Any:
    from valueshift.scoring import ProbeConfig

    return ProbeConfig.from_json({"model": model_path(node, deps), **node.params["config"]})


def _probe_job(node: Node, deps: Deps) -> Job:
    from valueshift.scoring.api import probe_job

    return probe_job(_probe_config(node, deps))[1]


def _probe_run(node: Node, deps: Deps, overwrite: bool) -> None:
    from valueshift.scoring import run_probe

    run_probe(_probe_config(node, deps), node.out, overwrite=overwrite, quiet=True)


# -- analyze ---------------------------------------------------------------------------------------------------
def _analysis_args(node: Node, deps: Deps) -> tuple[Any, Any, Any]:
    from valueshift.analysis import AnalysisConfig
    from valueshift.analysis.pipeline import resolve_tables

    p = node.params
    base, tuned = resolve_tables(deps[p["base"]], [deps[t] for t in p["tuned"]], p["labels"])
    return AnalysisConfig.from_json(p["config"]), base, tuned


def _analyze_job(node: Node, deps: Deps) -> Job:
    from valueshift.analysis.output import analysis_job

    return analysis_job(*_analysis_args(node, deps))


def _analyze_run(node: Node, deps: Deps, overwrite: bool) -> None:
    from valueshift.analysis.output import run_analysis

    config, base, tuned = _analysis_args(node, deps)
    run_analysis(config, base, tuned, node.out, overwrite=overwrite)


# -- attribute -------------------------------------------------------------------------------------------------
def _targets(node: Node, deps: Deps) -> list[str]:
    """The run's most shifted probes (largest mean |delta| over the attributed languages) in its condition."""
    import pandas as pd

    p = node.params
    if p.get("targets"):  # fixed targets (a planted study attributes the planted probes)
        return sorted(str(t) for t in p["targets"])
    shifts = pd.read_parquet(deps[p["analysis"]] / "shifts.parquet")
    rows = shifts[shifts["condition"] == p["label"]]
    if p["langs"] != "all":
        rows = rows[rows["lang"].isin(p["langs"].split(","))]
    ranked = rows.groupby("probe_id")["abs_delta"].mean().sort_values(ascending=False, kind="stable")
    return sorted(ranked.index[: p["n_targets"]].astype(str))


def _attr_args(node: Node, deps: Deps) -> tuple[Any, Any, list[str]]:
    from valueshift.attribution.config import build_attribution_config
    from valueshift.attribution.examples import TrainingRun

    return build_attribution_config(**node.params["config"]), TrainingRun.load(deps[node.params["run"]]), \
        _targets(node, deps)  # fmt: skip


def _attribute_job(node: Node, deps: Deps) -> Job:
    from valueshift.attribution.api import attribution_job, select_targets
    from valueshift.probes import load_probes

    cfg, training, targets = _attr_args(node, deps)
    probe_set = load_probes(node.params["probes"], node.params["langs"])
    chosen = select_targets(probe_set.probes, targets)
    return attribution_job(training, node.params["probes"], probe_set.langs, chosen, cfg)


def _attribute_run(node: Node, deps: Deps, overwrite: bool) -> None:
    from valueshift.attribution import attribute

    cfg, training, targets = _attr_args(node, deps)
    attribute(training.path, node.params["probes"], node.out, langs=node.params["langs"], targets=targets,
              overwrite=overwrite, **cfg.to_json())  # fmt: skip


# -- claims and report: study-level nodes over every upstream run ----------------------------------------------
def _upstream_job(command: str) -> Callable[[Node, Deps], Job]:
    def job(node: Node, deps: Deps) -> Job:
        from valueshift.runs import run_input

        config = json.loads(json.dumps(node.params))  # plain JSON, as in a manifest
        return {"command": command, "config": config, "inputs": {d: run_input(deps[d]) for d in node.deps}}

    return job


def _claims_run(node: Node, deps: Deps, overwrite: bool) -> None:
    from valueshift.experiments.claims import run_claims

    run_claims(node, deps, _upstream_job("claims")(node, deps), overwrite=overwrite)


def _report_run(node: Node, deps: Deps, overwrite: bool) -> None:
    from valueshift.experiments.report import run_report

    run_report(node, deps, _upstream_job("grid-report")(node, deps), overwrite=overwrite)


register("model", _model_job, _model_run)
register("finetune", _ft_job, _ft_run)
register("probe", _probe_job, _probe_run)
register("analyze", _analyze_job, _analyze_run)
register("attribute", _attribute_job, _attribute_run)
register("claims", _upstream_job("claims"), _claims_run)
register("report", _upstream_job("grid-report"), _report_run)
