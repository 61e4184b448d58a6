"""valueshift: probe multilingual language models for cultural values and trace how fine-tuning moves them.

The top-level functions are thin conveniences over the stages; importing this package does not import torch.

>>> import valueshift
>>> sorted(valueshift.__all__)[:3]
['ValueshiftError', '__version__', 'load_probes']
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from valueshift.errors import ValueshiftError

__version__ = "0.1.0"

# name -> "module:attribute", imported on first use so `import valueshift` stays cheap
_LAZY = {
    "load_probes": "valueshift.probes:load_probes",
    "probe": "valueshift.scoring:probe",
    "score_probes": "valueshift.scoring:score_probes",
    "load_model": "valueshift.models:load_model",
    "build_tiny_model": "valueshift.models:build_tiny_model",
}

__all__ = ["ValueshiftError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'valueshift' has no attribute {name!r}")
    module, attr = target.split(":")
    value = getattr(import_module(module), attr)
    globals()[name] = value
    return value
