"""Probe specs: one string names where probes come from.

============================  ==========================================================
``arora-wvs:DIR``             Arora et al. WVS probes (a folder of ``<lang>.csv``)
``arora-hofstede:DIR``        Arora et al. Hofstede VSM-2013 probes
``PATH.jsonl`` / a folder     valueshift JSONL probe file(s)
``NAME``                      a builtin or registered set (``valueshift probes list``)
============================  ==========================================================

Builtin sets are discovered from ``valueshift/resources/probes/<name>/*.jsonl``; other code can add sets with
:func:`register_probe_set`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from valueshift.errors import ProbeError
from valueshift.probes.arora import load_arora
from valueshift.probes.jsonl import load_jsonl
from valueshift.probes.schema import ProbeSet

__all__ = ["BUILTIN_PROBE_SET_VERSION", "available_probe_sets", "builtin_version", "register_probe_set",
           "resolve_probe_spec"]  # fmt: skip

# The wording version of the builtin sets (all languages); its changelog is resources/probes/README.md.
BUILTIN_PROBE_SET_VERSION = 2

Loader = Callable[[], ProbeSet]
_REGISTERED: dict[str, Loader] = {}


def _builtin_dir() -> Path:
    return Path(str(resources.files("valueshift") / "resources" / "probes"))


def _builtin_sets() -> dict[str, Path]:
    root = _builtin_dir()
    if not root.is_dir():
        return {}
    return {d.name: d for d in sorted(root.iterdir()) if d.is_dir() and any(d.glob("*.jsonl"))}


def register_probe_set(name: str, loader: Loader, *, replace: bool = False) -> None:
    """Make ``name`` resolvable as a probe spec. Names are unique; builtin names cannot be taken."""
    if ":" in name or not name:
        raise ProbeError(f"invalid probe set name {name!r}: non-empty, without ':'")
    if not replace and (name in _REGISTERED or name in _builtin_sets()):
        raise ProbeError(f"probe set {name!r} is already registered")
    _REGISTERED[name] = loader


def builtin_version(spec: str) -> int | None:
    """The wording version of a builtin set's spec (``builtin-wvs``), None for any other spec."""
    return BUILTIN_PROBE_SET_VERSION if spec.strip() in _builtin_sets() else None


def available_probe_sets() -> list[str]:
    """Names usable as a spec without a path."""
    return sorted({*_builtin_sets(), *_REGISTERED})


def resolve_probe_spec(spec: str) -> ProbeSet:
    """Load the probe set a spec names (see module docstring)."""
    spec = spec.strip()
    kind, sep, rest = spec.partition(":")
    if sep and kind in ("arora-wvs", "arora-hofstede"):
        return load_arora(rest, "wvs" if kind == "arora-wvs" else "hofstede")
    if sep and kind == "jsonl":
        return load_jsonl(rest)
    builtin = _builtin_sets()
    if spec in builtin:
        return load_jsonl(builtin[spec], name=spec)
    if spec in _REGISTERED:
        return _REGISTERED[spec]()
    path = Path(spec)
    if path.suffix == ".jsonl" or path.is_dir():
        if not path.exists():
            raise ProbeError(f"{path}: no such probe file or folder")
        return load_jsonl(path)
    names = available_probe_sets()
    hint = difflib.get_close_matches(spec, [*names, "arora-wvs:DIR", "arora-hofstede:DIR"], n=1)
    did_you_mean = f" Did you mean {hint[0]!r}?" if hint else ""
    raise ProbeError(
        f"unknown probe spec {spec!r}.{did_you_mean} Use arora-wvs:DIR, arora-hofstede:DIR, a .jsonl file, "
        f"or one of: {', '.join(names) or '(no builtin sets installed)'}"
    )
