"""From an experiment to a job graph, and where each node stands.

Lifecycle: :func:`plan` checks that every cell is feasible (corpora load with the grid's languages, sizes fit,
probe sets and languages exist) and builds the nodes: model (tiny models only) -> finetune -> probe (base once
per model and probe set, tuned once per run) -> analyze (per condition) -> attribute (optional) -> claims ->
report. :func:`node_state` answers done / running / failed / to-run / pending from the run directories alone
(:func:`valueshift.runs.lookup` with the node's real key); :func:`execute_node` runs one node and is what every
executor calls.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from valueshift.errors import ExperimentError, ValueshiftError
from valueshift.experiments import planted as _planted  # registers the plant-finetune and recovery node types
from valueshift.experiments.nodes import NODE_TYPES, Node
from valueshift.experiments.spec import GRID_ATTRIBUTE_KEYS, Experiment, parse_tiny

__all__ = ["EVENTS", "NodeState", "execute_node", "node_state", "plan", "resolve_spec"]

EVENTS = ".grid"  # failure notes of nodes that failed before their run directory existed


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name.replace("/", "--"))


def resolve_spec(spec: str, data_root: Path) -> str:
    """``KIND:PATH`` with a relative PATH placed under ``data_root`` (``builtin:`` specs are left as they are)."""
    kind, _, path = spec.partition(":")
    if kind == "builtin" or not path or Path(path).is_absolute():
        return spec
    return f"{kind}:{(data_root / path).resolve()}"


def check_feasible(exp: Experiment, data_root: Path) -> dict[str, str]:
    """Fail (naming the key) on any cell that cannot run; returns each corpus's resolved spec."""
    from valueshift.corpora import load_corpus, sample_unit_ids
    from valueshift.langs import is_known_lang
    from valueshift.probes import load_probes

    bad = [c for c in exp.grid.langs if not is_known_lang(c)]
    if bad:
        raise ExperimentError(f"key 'grid.langs' = {bad}: unknown language code(s); use ISO 639-1 codes such as fa")
    for ps in exp.grid.probe_sets:
        try:
            load_probes(ps, exp.probe.langs)  # type: ignore[attr-defined]
        except ValueshiftError as exc:
            raise ExperimentError(f"key 'grid.probe_sets' = {ps!r} with 'probe.langs' = "
                                  f"{exp.probe.langs!r}: {exc}") from exc  # type: ignore[attr-defined]  # fmt: skip
    _planted.check_plant(exp)
    specs = {}
    opts = exp.finetune.corpus
    for name, corpus in exp.corpora.items():
        key = f"corpora.{name}.spec"
        spec = resolve_spec(corpus.spec, data_root)
        kind, _, path = spec.partition(":")
        if kind != "builtin" and not Path(path).exists():
            raise ExperimentError(f"key '{key}' = {corpus.spec!r}: {path} does not exist; fix the path or pass "
                                  f"--data-root (now {data_root})")  # fmt: skip
        try:
            loaded = load_corpus(spec, exp.grid.langs, align=opts.align)  # type: ignore[attr-defined]
        except ValueshiftError as exc:
            raise ExperimentError(f"key '{key}' = {corpus.spec!r} with 'grid.langs' = {exp.grid.langs}: {exc}") from exc
        for size in exp.sizes_for(name):
            try:
                sample_unit_ids(loaded, size, seed=0, langs=exp.grid.langs, min_chars=opts.min_chars,  # type: ignore[attr-defined]
                                max_chars=opts.max_chars)  # type: ignore[attr-defined]  # fmt: skip
            except ValueshiftError as exc:
                where = f"corpora.{name}.sizes" if corpus.sizes else "grid.sizes"
                raise ExperimentError(
                    f"key '{where}' = {size}: larger than corpus '{name}' ({len(loaded)} units; {exc}); "
                    f"set corpora.{name}.sizes to values that fit"
                ) from exc
        specs[name] = spec
    return specs


def plan(exp: Experiment, out: str | os.PathLike[str], data_root: Path) -> list[Node]:
    """The grid's nodes in dependency order (every node after its upstream nodes)."""
    out = Path(out).resolve()
    specs = check_feasible(exp, data_root)
    nodes: list[Node] = []

    def add(nid: str, kind: str, deps: list[str], **params: Any) -> str:
        nodes.append(Node(nid, kind, str(out / nid), tuple(deps), params))
        return nid

    probe_settings = exp.probe.model_dump(mode="json")  # type: ignore[attr-defined]
    train = exp.finetune.train.model_dump(mode="json")  # type: ignore[attr-defined]
    corpus_opts = exp.finetune.corpus.model_dump(mode="json")  # type: ignore[attr-defined]
    attr = exp.attribute.model_dump(mode="json")  # type: ignore[attr-defined]
    attr_cfg = {k: v for k, v in attr.items() if k not in GRID_ATTRIBUTE_KEYS}
    tuned_meta: dict[str, dict[str, Any]] = {}
    analyses: dict[str, dict[str, Any]] = {}
    attributions: list[str] = []
    recoveries: list[str] = []
    for model in exp.grid.models:
        tiny = parse_tiny(model)
        mname = _safe(model)
        mnode = None
        if tiny is not None:
            mnode = add(f"model/{mname}", "model", [], tiny=dict(zip(("size", "seed", "kind"), tiny, strict=True)))
        msrc = {"model_node": mnode, "model": None if mnode else model, "model_sub": "model" if mnode else ""}
        for ps in exp.grid.probe_sets:
            pcfg = {**probe_settings, "probes": ps}
            base = add(f"probe/{mname}/{_safe(ps)}/base", "probe", [mnode] if mnode else [], config=pcfg, **msrc)
            for cname, corpus in exp.corpora.items():
                for size in exp.sizes_for(cname):
                    for strategy in exp.grid.strategies:
                        cond = f"{cname}/{strategy}-{size}"
                        runs = ["multi"] if strategy == "multi" else list(exp.grid.langs)
                        tuned, labels = [], []
                        cell_runs: dict[tuple[int, str], tuple[str, str, dict[str, Any], list[str]]] = {}
                        for seed in exp.grid.seeds:
                            for rname in runs:
                                cs = {**corpus_opts, "spec": specs[cname], "size": size,
                                      "langs": ",".join(exp.grid.langs) if rname == "multi" else rname,
                                      "draw_langs": None if rname == "multi" else ",".join(exp.grid.langs)}  # fmt: skip
                                ft_id = f"finetune/{mname}/{cond}/seed{seed}/{rname}"
                                ft_cfg = {"corpus": cs, "train": {**train, "seed": seed}}
                                if not any(n.id == ft_id for n in nodes):  # shared by every probe set
                                    add(ft_id, "finetune", [mnode] if mnode else [], **msrc, config=ft_cfg)
                                tid = add(f"probe/{mname}/{_safe(ps)}/{cond}/seed{seed}/{rname}", "probe", [ft_id],
                                          config=pcfg, model_node=ft_id, model=None, model_sub="")  # fmt: skip
                                tuned.append(tid)
                                cell_runs[(seed, rname)] = (ft_id, tid, ft_cfg, cs["langs"].split(","))
                                labels.append(rname)
                                tuned_meta[tid] = {"model": model, "probe_set": ps, "corpus": cname, "domain":
                                                   corpus.domain, "size": size, "strategy": strategy, "run": rname,
                                                   "seed": seed, "base": base}  # fmt: skip
                        aid = add(f"analyze/{mname}/{_safe(ps)}/{cond}", "analyze", [base, *tuned], base=base,
                                  tuned=tuned, labels=labels, config=exp.analysis.to_json())  # fmt: skip
                        analyses[aid] = {"model": model, "probe_set": ps, "corpus": cname, "domain": corpus.domain,
                                         "size": size, "strategy": strategy}  # fmt: skip
                        if exp.plant is not None:
                            rec = _planted.plan_planted(
                                exp, add, lambda i: any(n.id == i for n in nodes), prefix=f"{mname}/{_safe(ps)}/{cond}",
                                ps=ps, pcfg=pcfg, strategy=strategy, runs=cell_runs, msrc=msrc, mnode=mnode,
                            )  # fmt: skip
                            recoveries += [rec] if rec else []
                        only_treatments = exp.plant is not None and attr["runs"] == "treatments"
                        if attr["enabled"] and strategy in attr["strategies"] and not only_treatments:
                            for seed in exp.grid.seeds:
                                for rname in runs:
                                    ft_id = f"finetune/{mname}/{cond}/seed{seed}/{rname}"
                                    attributions.append(add(
                                        f"attribute/{mname}/{_safe(ps)}/{cond}/seed{seed}/{rname}", "attribute",
                                        [ft_id, aid], run=ft_id, analysis=aid, label=rname, probes=ps,
                                        langs=attr["langs"], n_targets=attr["n_targets"], config=attr_cfg,
                                    ))  # fmt: skip
    bases = sorted({m["base"] for m in tuned_meta.values()})
    claims = add("claims", "claims", [*bases, *tuned_meta, *analyses, *attributions], tuned=tuned_meta,
                 analyses=analyses, attributions=attributions, settings=exp.claims.model_dump(mode="json"),
                 profile=exp.analysis.profile.model_dump(mode="json"))  # fmt: skip
    add("report", "report", [*analyses, claims, *recoveries], name=exp.name, description=exp.description,
        analyses=list(analyses), figures=exp.figures)  # fmt: skip
    return nodes


@dataclass(frozen=True)
class NodeState:
    """``done``, ``running``, ``failed``, ``run`` (ready, not done), ``pending`` (upstream not done) or
    ``blocked`` (an upstream node failed)."""

    state: str
    message: str = ""


def grid_root(node: Node) -> Path:
    """The grid's output folder (each node's run directory is ``root / node.id``)."""
    return Path(node.out).parents[node.id.count("/")]


def _event_path(node: Node) -> Path:
    return grid_root(node) / EVENTS / f"{_safe(node.id)}.json"


def _event(node: Node) -> dict[str, Any] | None:
    path = _event_path(node)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def node_state(node: Node, deps_state: dict[str, NodeState]) -> NodeState:
    """Where ``node`` stands, from its run directory (with its real key) and its upstream nodes' states."""
    from valueshift.runs import Status, lookup, run_key

    upstream = [deps_state[d].state for d in node.deps]
    if any(s in ("failed", "blocked") for s in upstream):
        return NodeState("blocked", "an upstream node failed")
    if any(s != "done" for s in upstream):
        return NodeState("pending")
    deps = {d: Path(deps_state[d].message) for d in node.deps}
    try:
        job = NODE_TYPES[node.kind].job(node, deps)
        found = lookup(node.out, run_key(**job))
    except ValueshiftError as exc:
        return NodeState("failed", str(exc))
    event = _event(node)
    if found.status is Status.DONE:
        return NodeState("done", node.out)
    if found.status is Status.CLAIMED:
        return NodeState("running", found.detail)
    manifest = found.manifest or {}
    if found.status is Status.RESUMABLE and manifest.get("status") == "failed":
        return NodeState("failed", str(manifest.get("error", "")))
    if event is not None and event.get("status") == "failed" and event.get("key") == found.key:
        return NodeState("failed", str(event.get("message", "")))
    return NodeState("run", "resumable" if found.status is Status.RESUMABLE else found.status.value)


def states(nodes: list[Node]) -> dict[str, NodeState]:
    """Every node's state, in plan order (a done node's message is its run directory)."""
    out: dict[str, NodeState] = {}
    for node in nodes:
        out[node.id] = node_state(node, out)
    return out


def execute_node(node_json: dict[str, Any]) -> str:
    """Run one node (in any process or machine; the upstream run directories are the only input).

    Returns ``cached``, ``done`` or ``failed: <message>``; a failure is also noted on disk for ``status``.
    """
    from valueshift.runs import Status, lookup, run_key, write_json_atomic

    node = Node.from_json(node_json)
    deps = {d: grid_root(node) / d for d in node.deps}
    event = _event_path(node)
    key = None
    try:
        job = NODE_TYPES[node.kind].job(node, deps)
        key = run_key(**job)
        found = lookup(node.out, key)
        if found.status is Status.DONE:
            return "cached"
        stale_done = found.status is Status.STALE and (found.manifest or {}).get("status") == "done"
        NODE_TYPES[node.kind].run(node, deps, stale_done)
        event.unlink(missing_ok=True)
        return "done"
    except Exception as exc:  # a node's failure must not stop independent branches
        message = f"{type(exc).__name__}: {exc}"
        write_json_atomic(event, {"status": "failed", "key": key, "message": message, "pid": os.getpid(),
                                  "host": socket.gethostname(), "time": time.time()})  # fmt: skip
        return f"failed: {message}"
