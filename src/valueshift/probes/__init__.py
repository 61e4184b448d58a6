"""Probes: the schema, loaders (Arora tsv, valueshift JSONL, builtin sets) and validation.

Typical use::

    from valueshift.probes import load_probes
    probes = load_probes("arora-wvs:../shared/data/arora-value-probes/wvs", langs="de,fa")
"""

from __future__ import annotations

from valueshift.langs import parse_langs
from valueshift.probes.arora import load_arora
from valueshift.probes.jsonl import load_jsonl, write_jsonl
from valueshift.probes.registry import available_probe_sets, register_probe_set, resolve_probe_spec
from valueshift.probes.schema import MASK, Defect, Probe, ProbeSet
from valueshift.probes.validate import build_probe_set, raise_if_errors

__all__ = [
    "MASK",
    "Defect",
    "Probe",
    "ProbeSet",
    "available_probe_sets",
    "build_probe_set",
    "english_glosses",
    "load_arora",
    "load_jsonl",
    "load_probes",
    "register_probe_set",
    "resolve_probe_spec",
    "write_jsonl",
]


def load_probes(spec: str | ProbeSet, langs: str | list[str] | None = None, *, strict: bool = False) -> ProbeSet:
    """Load a probe set from a spec, keep the requested languages, and report defects.

    Parameters
    ----------
    spec
        A probe spec (``arora-wvs:DIR``, ``arora-hofstede:DIR``, a ``.jsonl`` path, a builtin name) or an
        already loaded :class:`ProbeSet`.
    langs
        ``"all"``/None, ``"fa,ko"`` or a list of codes.
    strict
        Raise :class:`~valueshift.errors.ProbeError` if any probe is invalid, instead of skipping it with a
        warning.

    Raises
    ------
    ProbeError
        An unreadable source, or no valid probe left for the selected languages (even without ``strict``).
    ConfigError
        An empty or unknown ``langs`` selection.
    """
    probe_set = resolve_probe_spec(spec) if isinstance(spec, str) else spec
    selected = parse_langs(langs, probe_set.all_langs)
    probe_set = probe_set.select(selected)
    raise_if_errors(probe_set, strict=strict, langs=selected)
    return probe_set


def english_glosses(spec: str) -> dict[str, str]:
    """probe_id -> English gloss of a probe set, for labels; empty when the set has no English probes or glosses
    (or does not load: a label is never worth an error)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            probes = load_probes(spec, "en").probes
    except Exception:
        return {}
    return {p.probe_id: str(p.gloss) for p in probes if getattr(p, "gloss", None)}
