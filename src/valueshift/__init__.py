"""valueshift: probe multilingual language models for cultural values and trace how fine-tuning moves them.

One naming rule across stages: ``probe``, ``finetune`` and ``analyze`` are keyword conveniences that take plain
values; ``run_probe``, ``run_finetune`` and ``run_analysis`` take the stage's typed config and always write a
run directory (cached by its key, resumable after a kill). ``probe`` and ``analyze`` compute in memory unless
given ``out``; ``finetune`` always writes, since its product is a checkpoint. Importing this package does not
import torch.

>>> import valueshift
>>> [name for name in ("probe", "finetune", "analyze") if callable(getattr(valueshift, name))]
['probe', 'finetune', 'analyze']
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from valueshift.errors import ValueshiftError

if TYPE_CHECKING:
    from valueshift.analysis import AnalysisConfig, analyze, run_analysis
    from valueshift.attribution import attribute
    from valueshift.models import build_tiny_model, load_model
    from valueshift.probes import load_probes
    from valueshift.scoring import ProbeConfig, probe, run_probe, score_probes
    from valueshift.training import FinetuneConfig, finetune, run_finetune

__version__ = "0.1.0"

# name -> "module:attribute", imported on first use so `import valueshift` stays cheap
_LAZY = {
    "probe": "valueshift.scoring:probe",
    "finetune": "valueshift.training:finetune",
    "analyze": "valueshift.analysis:analyze",
    "attribute": "valueshift.attribution:attribute",
    "run_probe": "valueshift.scoring:run_probe",
    "run_finetune": "valueshift.training:run_finetune",
    "run_analysis": "valueshift.analysis:run_analysis",
    "ProbeConfig": "valueshift.scoring:ProbeConfig",
    "FinetuneConfig": "valueshift.training:FinetuneConfig",
    "AnalysisConfig": "valueshift.analysis:AnalysisConfig",
    "score_probes": "valueshift.scoring:score_probes",
    "load_probes": "valueshift.probes:load_probes",
    "load_model": "valueshift.models:load_model",
    "build_tiny_model": "valueshift.models:build_tiny_model",
}

__all__ = [  # the names of _LAZY, spelled out so type checkers and linters see them
    "AnalysisConfig",
    "FinetuneConfig",
    "ProbeConfig",
    "ValueshiftError",
    "__version__",
    "analyze",
    "attribute",
    "build_tiny_model",
    "finetune",
    "load_model",
    "load_probes",
    "probe",
    "run_analysis",
    "run_finetune",
    "run_probe",
    "score_probes",
]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'valueshift' has no attribute {name!r}")
    module, attr = target.split(":")
    value = getattr(import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
