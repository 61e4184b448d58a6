"""The experiment file: one TOML declares a whole study grid, validated before any job runs.

Lifecycle: :func:`load_experiment` reads the TOML -> pydantic validates every section (unknown keys, types,
ranges; an error names the key, the value and the fix) -> :func:`check_feasible` loads each corpus and checks
that every cell of the grid can run (languages present, sizes that fit, known probe sets and languages) -> the
planner (:mod:`valueshift.experiments.plan`) turns it into nodes.

Stage settings are the stage configs themselves, nested: ``[probe]`` is :class:`~valueshift.scoring.ProbeConfig`
without ``model``/``probes`` (grid axes), ``[finetune.train]`` is :class:`~valueshift.training.TrainConfig`
without ``seed``, ``[finetune.corpus]`` is :class:`~valueshift.training.CorpusSettings` without ``spec``,
``langs``, ``size`` and ``draw_langs``, ``[analysis]`` is :class:`~valueshift.analysis.AnalysisConfig`, and
``[attribute]`` holds :class:`~valueshift.attribution.config.AttributionConfig` fields next to its grid options,
and the optional ``[plant]`` is :class:`~valueshift.corpora.planted.PlantSettings` with ``rate`` and ``strategy``
turned into the axes ``rates`` and ``strategies`` (a known-truth study, :mod:`valueshift.experiments.planted`).
Defaults are therefore written once, in the stage configs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import tomllib
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from valueshift.analysis.config import AnalysisConfig
from valueshift.attribution.config import AttributionConfig
from valueshift.corpora.planted import PlantSettings
from valueshift.errors import ExperimentError
from valueshift.scoring.config import ProbeConfig
from valueshift.training.config import CorpusSettings, TrainConfig

__all__ = [
    "DATA_ROOT", "GRID_ATTRIBUTE_KEYS", "TINY_MODEL", "ClaimsSettings", "Experiment", "PlantSection", "Resources",
    "load_experiment", "parse_tiny",
]  # fmt: skip

DATA_ROOT = "../shared/data"  # relative to the working directory, like every other path a user gives
# tiny:<size>:seed<k>[:<kind>] -- a random-init offline model built by the grid (valueshift.models.build_tiny_model)
TINY_MODEL = re.compile(r"^tiny:(tiny|small):seed(\d+)(?::(seq2seq|masked|causal))?$")


def parse_tiny(spec: str) -> tuple[str, int, str] | None:
    """``(size, seed, kind)`` of a ``tiny:...`` model spec, or None for a hub id / local directory.

    >>> parse_tiny("tiny:small:seed0"), parse_tiny("google/mt5-small")
    (('small', 0, 'seq2seq'), None)
    """
    m = TINY_MODEL.match(spec)
    return (m.group(1), int(m.group(2)), m.group(3) or "seq2seq") if m else None


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _subset(model: type[BaseModel], exclude: set[str], name: str, **extra: Any) -> type[BaseModel]:
    """A section holding ``model``'s fields minus the grid axes (same types, defaults and descriptions)."""
    fields = {n: (f.annotation, f) for n, f in model.model_fields.items() if n not in exclude}
    return create_model(name, __base__=Section, **extra, **fields)  # type: ignore[call-overload]


ProbeSettings = _subset(ProbeConfig, {"model", "probes"}, "ProbeSettings")
TrainSettings = _subset(TrainConfig, {"seed"}, "TrainSettings")
CorpusOptions = _subset(CorpusSettings, {"spec", "langs", "size", "draw_langs"}, "CorpusOptions")
AttributeSettings = _subset(
    AttributionConfig, set(), "AttributeSettings",
    enabled=(bool, Field(False, description="run attribution on the shifted probes of the tuned models")),
    strategies=(list[Literal["mono", "multi"]], Field(["multi"], description="strategies whose runs are attributed")),
    n_targets=(int, Field(5, ge=1, description="probes attributed per run: the ones with the largest |delta|")),
    langs=(str, Field("fa,ko,hi,ru", description="test languages of the attributed probes, or 'all'")),
    runs=(Literal["all", "treatments"], Field("all", description="with [plant]: 'treatments' attributes only the "
                                               "planted runs (targets = the planted probes), not the controls")),
)  # fmt: skip
# the grid's own [attribute] options, not AttributionConfig fields
GRID_ATTRIBUTE_KEYS = frozenset(AttributeSettings.model_fields) - frozenset(AttributionConfig.model_fields)

PlantSection = _subset(
    PlantSettings, {"rate", "strategy"}, "PlantSection",
    rates=(list[Annotated[float, Field(gt=0.0, lt=0.5)]],
           Field(min_length=1, description="planted shares of each planting language's lines, e.g. [0.05, 0.1]")),
    strategies=(list[Literal["parallel", "specific"]],
                Field(["parallel"], min_length=1, description="planting strategies: parallel, specific")),
)  # fmt: skip


class FinetuneSection(Section):
    corpus: CorpusOptions = Field(default_factory=CorpusOptions, description="how examples are drawn")  # type: ignore[valid-type]
    train: TrainSettings = Field(default_factory=TrainSettings, description="optimisation settings")  # type: ignore[valid-type]


class Corpus(Section):
    spec: str = Field(description="corpus spec KIND:PATH; a relative PATH is under --data-root (builtin:NAME as is)")
    domain: str = Field(description="the corpus's domain (a factor of the study-level analysis), e.g. news")
    sizes: list[int] | None = Field(None, description="sizes for this corpus (default: grid.sizes)")


class Grid(Section):
    models: list[str] = Field(min_length=1, description="hub ids, local model directories or tiny:<size>:seed<k>")
    probe_sets: list[str] = Field(["builtin-wvs"], min_length=1, description="probe specs, e.g. builtin-wvs")
    langs: list[str] = Field(min_length=1, description="fine-tuning languages (ISO 639-1), e.g. fa, ko, hi, ru")
    sizes: list[int] = Field(min_length=1, description="fine-tuning sentences per language")
    strategies: list[Literal["mono", "multi"]] = Field(["mono", "multi"], min_length=1, description="mono, multi")
    seeds: list[int] = Field([0], min_length=1, description="fine-tuning seeds (distinct, >= 0)")

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v: list[int]) -> list[int]:
        if any(s < 0 for s in v) or len(set(v)) != len(v):
            raise ValueError("seeds must be distinct non-negative integers, e.g. [0, 1, 2]")
        return v

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, v: list[int]) -> list[int]:
        if any(s < 1 for s in v) or len(set(v)) != len(v):
            raise ValueError("sizes must be distinct positive integers, e.g. [2000, 10000]")
        return v


class ClaimsSettings(Section):
    n_boot: int = Field(1000, ge=10, description="bootstrap resamples of every claim's confidence interval")
    ci_level: float = Field(0.95, gt=0, lt=1, description="confidence level of the intervals")
    seed: int = Field(0, ge=0, description="seed of the bootstrap")
    method: Literal["pearson", "spearman"] = Field("pearson", description="similarity used for preservation")


class Resources(Section):
    cpus: int = Field(1, ge=1, description="CPU cores per node (Ray num_cpus, SLURM cpus_per_task)")
    gpus: float = Field(0, ge=0, description="GPUs per node (Ray num_gpus, SLURM gpus_per_node)")
    time_min: int = Field(60, ge=1, description="SLURM time limit per node, minutes")
    mem_gb: int = Field(8, ge=1, description="SLURM memory per node, GB")


class SlurmSettings(Section):
    partition: str | None = Field(None, description="SLURM partition")
    account: str | None = Field(None, description="SLURM account")
    array_parallelism: int = Field(64, ge=1, description="array tasks running at once")
    extra: dict[str, Any] = Field(default_factory=dict, description="slurm_additional_parameters for submitit")


class Experiment(Section):
    name: str = Field(description="the study's name (used in the report)")
    description: str = Field("", description="one paragraph on what the grid tests")
    grid: Grid = Field(description="the axes of the study")
    corpora: dict[str, Corpus] = Field(min_length=1, description="fine-tuning corpora by name")
    probe: ProbeSettings = Field(default_factory=ProbeSettings, description="ProbeConfig settings")  # type: ignore[valid-type]
    finetune: FinetuneSection = Field(default_factory=FinetuneSection, description="FinetuneConfig settings")
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig, description="AnalysisConfig settings")
    attribute: AttributeSettings = Field(default_factory=AttributeSettings, description="attribution")  # type: ignore[valid-type]
    plant: PlantSection | None = Field(None, description="known truth: control and planted treatment runs")  # type: ignore[valid-type]
    claims: ClaimsSettings = Field(default_factory=ClaimsSettings, description="study-level claims")
    resources: dict[str, Resources] = Field(default_factory=dict, description="per node type: cpus, gpus, time")
    slurm: SlurmSettings = Field(default_factory=SlurmSettings, description="SLURM settings")
    figures: bool = Field(True, description="draw each analysis's figures in the report node")

    def sizes_for(self, corpus: str) -> list[int]:
        return self.corpora[corpus].sizes or self.grid.sizes


def _describe(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, type[BaseModel] | None]:
    """Description of the field at ``loc`` and the model that holds the last key (for 'known keys')."""
    current: Any = model
    desc, holder = "", None
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel) and str(part) in current.model_fields:
            holder = current
            info = current.model_fields[str(part)]
            desc = info.description or ""
            ann = info.annotation
            args = [a for a in getattr(ann, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]
            current = ann if isinstance(ann, type) else (args[-1] if args else None)
        elif isinstance(current, type) and issubclass(current, BaseModel):
            holder = current
            current = None
    return desc, holder


def _error(path: Path | str, exc: ValidationError) -> ExperimentError:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc)
        desc, holder = _describe(Experiment, loc)
        if err["type"] == "extra_forbidden":
            known = ", ".join(sorted((holder or Experiment).model_fields))
            lines.append(f"key '{key}': unknown setting; remove it or use one of {known}")
        elif err["type"] == "missing":
            lines.append(f"key '{key}': missing; add it ({desc})")
        else:
            hint = f"; fix: {desc}" if desc else ""
            lines.append(f"key '{key}' = {err.get('input')!r}: {err['msg']}{hint}")
    return ExperimentError(f"{path}: " + "; ".join(lines))


def load_experiment(path: str | Path, data_root: str | Path | None = None) -> tuple[Experiment, Path]:
    """Read and validate an experiment file; returns it with the resolved data root (no corpus loaded yet)."""
    path = Path(path)
    if not path.is_file():
        raise ExperimentError(f"{path}: no such experiment file; pass an experiments/*.toml path")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"{path}: not valid TOML ({exc}); fix the syntax") from exc
    try:
        exp = Experiment.model_validate(data)
    except ValidationError as exc:
        raise _error(path, exc) from exc
    return exp, Path(data_root if data_root is not None else DATA_ROOT)
