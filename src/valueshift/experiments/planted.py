"""Known-truth studies in the grid: planted treatment runs beside the controls, and a recovery node per condition.

Lifecycle: :func:`check_plant` validates ``[plant]`` against the grid (planting languages among ``grid.langs``,
probes and templates that exist, ``probe.average_templates = false``) -> :func:`plan_planted` adds, for every
fine-tuning run whose languages include a planting language, one ``plant-finetune`` node per (rate, planting
strategy) and its probe node (the control is the grid's ordinary ``finetune`` node: both draw
``sample_examples(corpus, seed)``, the treatment appends the planted lines, :func:`~valueshift.corpora.planted.plant`),
optional ``attribute`` nodes on the treatments (targets = the planted probes) and one ``recovery`` node per
(model, probe set, corpus, size, strategy) -> the recovery node writes ``effects.parquet``, ``echo.parquet``,
``detector.parquet``, ``planted.parquet`` (the planted lines per condition, what the effects are checked
against) and ``attribution_recovery.parquet`` (when attributed) from :mod:`valueshift.analysis.recovery`.

Probing reads template :data:`~valueshift.corpora.planted.PROBE_TEMPLATE` only: the probe tables keep every
template (``average_templates = false``) and :func:`~valueshift.analysis.recovery.planted_effects` selects
template 0, so the planted paraphrases (templates 1-2) are not what is measured.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from valueshift.errors import ExperimentError, ValueshiftError
from valueshift.experiments.nodes import Deps, Job, Node, register
from valueshift.experiments.spec import GRID_ATTRIBUTE_KEYS, Experiment

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["check_plant", "plan_planted"]


def _settings(exp: Experiment, rate: float, strategy: str, langs: list[str]) -> dict[str, Any]:
    """``PlantSettings`` JSON of one (rate, strategy) cell, planting in ``langs``."""
    from valueshift.corpora.planted import PlantSettings

    assert exp.plant is not None
    fields = {k: v for k, v in exp.plant.model_dump(mode="json").items() if k not in ("rates", "strategies")}
    return PlantSettings.build(**{**fields, "langs": ",".join(langs), "rate": rate, "strategy": strategy}).to_json()


def check_plant(exp: Experiment) -> None:
    """Fail naming the key when ``[plant]`` cannot run on this grid (no corpus is loaded)."""
    from valueshift.corpora.planted import PlantSettings, planted_statements

    if exp.plant is None:
        return
    if exp.probe.average_templates:
        raise ExperimentError("key 'probe.average_templates' = true: a planted study probes template 0 only "
                              "(planting uses templates 1-2); set probe.average_templates = false")  # fmt: skip
    langs = [c.strip() for c in exp.plant.langs.split(",") if c.strip()]
    absent = [c for c in langs if c not in exp.grid.langs]
    if not langs or absent:
        raise ExperimentError(f"key 'plant.langs' = {exp.plant.langs!r}: planting languages must be among "
                              f"grid.langs {exp.grid.langs} (missing: {absent or 'all'})")  # fmt: skip
    for rate in exp.plant.rates:
        for strategy in exp.plant.strategies:
            try:
                planted_statements(PlantSettings.from_json(_settings(exp, rate, strategy, langs)))
            except ValueshiftError as exc:
                raise ExperimentError(f"key 'plant' (rate {rate}, strategy {strategy}): {exc}") from exc


def plan_planted(
    exp: Experiment,
    add: Callable[..., str],
    have: Callable[[str], bool],
    *,
    prefix: str,
    ps: str,
    pcfg: dict[str, Any],
    strategy: str,
    runs: dict[tuple[int, str], tuple[str, str, dict[str, Any], list[str]]],
    msrc: dict[str, Any],
    mnode: str | None,
) -> str | None:
    """Treatment, probe, attribution and recovery nodes of one condition; returns the recovery node id.

    ``prefix`` is ``<model>/<probe set>/<corpus>/<strategy>-<size>`` (folder-safe names), ``ps`` the probe spec;
    ``runs`` maps (seed, run name) to
    (control finetune id, control probe id, finetune config JSON, the run's languages).
    """
    assert exp.plant is not None
    plant_langs = [c.strip() for c in exp.plant.langs.split(",") if c.strip()]
    attr = exp.attribute.model_dump(mode="json")
    attr_cfg = {k: v for k, v in attr.items() if k not in GRID_ATTRIBUTE_KEYS}
    model_part, ps_part, cond = prefix.split("/", 2)  # cond = <corpus>/<strategy>-<size>
    conditions, deps = [], []
    rnames = sorted({r for _, r in runs}, key=[r for _, r in runs].index)
    for rname in rnames:
        langs = [c for c in plant_langs if c in next(v[3] for (s, r), v in runs.items() if r == rname)]
        if not langs:
            continue  # a mono run in a language nobody plants in has no treatment
        for rate in exp.plant.rates:
            for pstrat in exp.plant.strategies:
                label = f"{rname}-{pstrat}-{rate:g}"
                settings = _settings(exp, rate, pstrat, langs)
                entry: dict[str, Any] = {"label": label, "run": rname, "plant_strategy": pstrat, "rate": rate,
                                         "plant": settings, "control": [], "treatment": [], "planted": [],
                                         "corpus": [], "attributions": []}  # fmt: skip
                for (seed, r), (ft_id, probe_id, ft_cfg, _) in runs.items():
                    if r != rname:
                        continue
                    tr_id = f"{ft_id}+{pstrat}-{rate:g}"
                    if not have(tr_id):  # shared by every probe set, like the control
                        add(tr_id, "plant-finetune", [mnode] if mnode else [], **msrc, config=ft_cfg, plant=settings)
                    tp = add(f"probe/{model_part}/{ps_part}/{cond}/seed{seed}/{rname}+{pstrat}-{rate:g}", "probe",
                             [tr_id], config=pcfg, model_node=tr_id, model=None, model_sub="")  # fmt: skip
                    entry["control"].append(probe_id)
                    entry["treatment"].append(tp)
                    entry["planted"].append(tr_id)
                    entry["corpus"].append([ft_cfg["corpus"], seed])
                    deps += [probe_id, tp, tr_id]
                    if attr["enabled"] and strategy in attr["strategies"]:
                        aid = add(f"attribute/{model_part}/{ps_part}/{cond}/seed{seed}/{rname}+{pstrat}-{rate:g}",
                                  "attribute", [tr_id], run=tr_id, analysis=None, label=rname, probes=ps,
                                  langs=attr["langs"], n_targets=attr["n_targets"], config=attr_cfg,
                                  targets=list(exp.plant.probe_ids))  # fmt: skip
                        entry["attributions"].append(aid)
                        deps.append(aid)
                conditions.append(entry)
    if not conditions:
        return None
    a = exp.analysis
    settings_json = {"ci_level": a.ci_level, "n_boot": a.n_boot, "n_perm": a.n_perm, "seed": a.seed,
                     "threshold": a.threshold, "alpha": a.alpha}  # fmt: skip
    return add(f"recovery/{model_part}/{ps_part}/{cond}", "recovery", deps, strategy=strategy, conditions=conditions,
               settings=settings_json)  # fmt: skip


# -- plant-finetune: the treatment arm -------------------------------------------------------------------------
def _treatment(node: Node, deps: Deps) -> tuple[Any, Any]:
    from valueshift.corpora.planted import PlantSettings, plant
    from valueshift.experiments.nodes import _ft_config
    from valueshift.training import sample_examples

    cfg = _ft_config(node, deps)
    # the control's own draw (finetune_job samples with the run seed), so both arms share every base line
    return cfg, plant(sample_examples(cfg.corpus, cfg.train.seed), PlantSettings.from_json(node.params["plant"]))


def _treatment_job(node: Node, deps: Deps) -> Job:
    from valueshift.training.api import finetune_job

    cfg, planted = _treatment(node, deps)
    return finetune_job(cfg, planted.treatment)[1]  # keyed on the table's content, planted lines included


def _treatment_run(node: Node, deps: Deps, overwrite: bool) -> None:
    from valueshift.runs import adopt, write_parquet_atomic
    from valueshift.training import run_finetune

    cfg, planted = _treatment(node, deps)
    out = run_finetune(cfg, node.out, examples=planted.treatment, overwrite=overwrite, quiet=True)
    write_parquet_atomic(Path(out) / "planted.parquet", planted.planted)
    adopt(out, "planted.parquet")


# -- recovery --------------------------------------------------------------------------------------------------
def _record(run_dir: Path, plant_json: dict[str, Any], corpus: list[Any]) -> pd.DataFrame:
    """The treatment run's ``planted.parquet``; recomputed (deterministic) if a kill fell between training and
    writing it, since the run is then already done and the grid never reruns it."""
    import pandas as pd

    from valueshift.corpora.planted import PlantSettings, plant
    from valueshift.training import CorpusSettings, sample_examples

    if (run_dir / "planted.parquet").is_file():
        return pd.read_parquet(run_dir / "planted.parquet")
    base = sample_examples(CorpusSettings.from_json(corpus[0]), corpus[1])
    return plant(base, PlantSettings.from_json(plant_json)).planted


def _recovery_job(node: Node, deps: Deps) -> Job:
    import json

    from valueshift.runs import run_input

    config = json.loads(json.dumps(node.params))
    return {"command": "recovery", "config": config, "inputs": {d: run_input(deps[d]) for d in node.deps}}


def _recovery_run(node: Node, deps: Deps, overwrite: bool) -> None:
    import pandas as pd

    from valueshift.analysis.recovery import attribution_recovery, detector_rates, echo_table, planted_effects
    from valueshift.runs import RunDir, running

    s = node.params["settings"]
    effects, attributions, records = [], [], []
    for c in node.params["conditions"]:
        planted = _record(deps[c["planted"][0]], c["plant"], c["corpus"][0])  # the same lines for every seed
        records.append(planted.assign(condition=c["label"]))
        e = planted_effects([deps[p] for p in c["control"]], [deps[p] for p in c["treatment"]], planted,
                            condition=c["label"], ci_level=s["ci_level"], n_boot=s["n_boot"], n_perm=s["n_perm"],
                            seed=s["seed"])  # fmt: skip
        effects.append(e.assign(strategy=node.params["strategy"], run=c["run"], plant_strategy=c["plant_strategy"],
                                rate=c["rate"]))  # fmt: skip
        pairs = zip(c["attributions"], c["planted"], c["corpus"], strict=False)  # no attributions: nothing to pair
        for aid, tr, corpus in pairs:
            rec = attribution_recovery(deps[aid], _record(deps[tr], c["plant"], corpus))
            attributions.append(rec.assign(condition=c["label"], attribution=aid))
    table = pd.concat(effects, ignore_index=True)
    run = RunDir.open(node.out, **_recovery_job(node, deps), overwrite=overwrite)
    with running(run):
        run.write_table("effects.parquet", table)
        run.write_table("planted.parquet", pd.concat(records, ignore_index=True))
        run.write_table("echo.parquet", echo_table(table))
        run.write_table("detector.parquet", detector_rates(table, threshold=s["threshold"], alpha=s["alpha"]))
        if attributions:
            run.write_table("attribution_recovery.parquet", pd.concat(attributions, ignore_index=True))
        run.finish(conditions=[c["label"] for c in node.params["conditions"]])


register("plant-finetune", _treatment_job, _treatment_run)
register("recovery", _recovery_job, _recovery_run)
