"""A probe's ``value`` as a differentiable function of the model's weights (the attribution output function).

:func:`probe_values` computes exactly what :func:`valueshift.scoring.score_probes` reports in its ``value``
column, but as a torch tensor with autograd on: the same scorer encodes the requests and runs the same planned
batches (:meth:`~valueshift.scoring.base.Scorer.logprobs`), so tokenization, the seq2seq sentinel rule, the
masked-LM copies, the causal continuation and padded-vocabulary masking cannot diverge from the scorer. Then the
normalisation of :mod:`valueshift.scoring.normalize` is applied to tensors:

- ``sum``: the summed log-probability;
- ``mean`` / ``char``: divided by the scored tokens / characters, constants (no gradient flows through them);
- ``pmi``: minus the log-probability of the same answer in the scorer's neutral prompt (that one depends on the
  weights too, so its gradient is part of the value's);
- option probes (no ``answer_neg``, a ``group``): ``norm(i) - logsumexp(norm(j), j != i)`` over the options of
  the same (lang, group, template_id) among the given probes, as :func:`~valueshift.scoring.normalize.add_values`.

For ``normalize="sum"`` and a pair probe the value is the margin ``log p(pos) - log p(neg)`` that TRAK's
output function is built from (Park et al. 2023, TRAK).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from valueshift.errors import ConfigError
from valueshift.probes.schema import Probe
from valueshift.scoring.api import scored_chars
from valueshift.scoring.base import ClozeRequest, Scorer
from valueshift.scoring.normalize import NORMALIZATIONS

__all__ = ["option_group", "probe_value", "probe_values"]


def option_group(probe: Probe, probes: Sequence[Probe]) -> list[Probe]:
    """The options compared with an option probe: same lang, group and template (itself first); ``[probe]`` for
    a pair probe."""
    if probe.answer_neg is not None or probe.group is None:
        return [probe]
    others = [
        p
        for p in probes
        if p is not probe
        and p.answer_neg is None
        and (p.lang, p.group, p.template_id) == (probe.lang, probe.group, probe.template_id)
    ]
    return [probe, *dict.fromkeys(others)]


def probe_values(
    scorer: Scorer, probes: Sequence[Probe], normalize: str = "sum", *, context: Sequence[Probe] | None = None
) -> Any:
    """Values of ``probes`` as a differentiable tensor ``(P,)`` float64.

    Parameters
    ----------
    scorer
        The scorer of the model (:func:`valueshift.scoring.make_scorer`); its model's weights are what the
        result is differentiated with respect to. Put the model in ``eval()`` mode for values equal to the
        scorer's.
    probes
        The probes whose values are wanted.
    normalize
        ``sum``, ``mean``, ``char`` or ``pmi``.
    context
        The probe set the option groups are taken from (default: ``probes``); pass the whole set when asking for
        one option probe's value.

    Returns
    -------
    torch.Tensor
        ``(P,)``; NaN for an option probe alone in its group (as ``score_probes``).
    """
    import torch

    if normalize not in NORMALIZATIONS:
        raise ConfigError(f"unknown normalisation {normalize!r}: use one of {', '.join(NORMALIZATIONS)}")
    pool = list(context) if context is not None else list(probes)
    # (probe, answer) pairs whose normalised score some value needs, in a fixed order
    needed: list[tuple[Probe, str]] = []
    for p in probes:
        for q in option_group(p, pool):
            needed.extend((q, a) for a in q.answers)
    needed = list(dict.fromkeys(needed))
    requests = [ClozeRequest(q.template, a) for q, a in needed]
    if normalize == "pmi":
        requests += [scorer.neutral_request(r) for r in requests]
    logp, n_tokens = scorer.logprobs(requests)  # (R,), R = len(needed) (x2 for pmi)
    k = len(needed)
    if normalize == "sum":
        norm = logp[:k]
    elif normalize == "mean":
        norm = logp[:k] / torch.tensor(n_tokens[:k], dtype=logp.dtype, device=logp.device)
    elif normalize == "char":
        chars = [scored_chars(scorer, q, a) for q, a in needed]
        norm = logp[:k] / torch.tensor(chars, dtype=logp.dtype, device=logp.device)
    else:
        norm = logp[:k] - logp[k:]
    score = {key: norm[i] for i, key in enumerate(needed)}
    out = []
    for p in probes:
        if p.answer_neg is not None:
            out.append(score[(p, p.answer_pos)] - score[(p, p.answer_neg)])
            continue
        group = option_group(p, pool)
        if len(group) < 2:
            out.append(norm.new_tensor(float("nan")))
            continue
        others = torch.stack([score[(q, q.answer_pos)] for q in group[1:]])
        out.append(score[(p, p.answer_pos)] - torch.logsumexp(others, dim=0))
    return torch.stack(out)


def probe_value(scorer: Scorer, probe: Probe, normalize: str = "sum", *, context: Sequence[Probe] = ()) -> Any:
    """One probe's value as a 0-dim tensor (see :func:`probe_values`); ``context`` holds its option group."""
    return probe_values(scorer, [probe], normalize, context=[probe, *context])[0]
