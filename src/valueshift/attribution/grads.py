"""Per-example gradients of the training loss and of a probe's value, for a documented parameter selection.

Parameter selection (``params``): ``"default"`` = every trainable weight except the input embeddings and the
output head (names matching :data:`EXCLUDED`: mT5 ``shared``/``lm_head``, ``embed_tokens``, XLM-R
``word_embeddings`` and its ``lm_head.*``). Those matrices are vocabulary x d_model -- 256M of mt5-small's 300M
parameters -- and a sentence touches only a few of their rows, so their gradients are sparse, huge, and
dominated by token identity (kronfluence excludes them for the same reason). ``"all"`` keeps everything; a list
of fnmatch patterns keeps the matching names.

How: a loop of ordinary backward passes, one example at a time (:func:`example_gradients`).
``torch.func.vmap(grad(...))`` over chunks (with a hand-built 4D additive mask: transformers 5's mask builder
inspects a 2D mask's values, which vmap refuses) gives the same gradients and is ~1.6x faster on the tiny mT5,
but only 0.6-1.28x on the small one, where its chunk of per-example weight gradients makes it memory-bound
(docs/attribution.md; ``bench/bench_attribution.py`` keeps it for re-measuring). The loop is exact, works for
every kind, and its memory is one example's activations plus one gradient.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from valueshift.errors import AttributionError

__all__ = ["EXCLUDED", "check_patterns", "example_gradients", "select_params", "target_gradients"]

EXCLUDED = ("shared.*", "*embed_tokens*", "*word_embeddings*", "lm_head.*", "*.lm_head.*")


def check_patterns(params: str | Sequence[str], model_dir: Any) -> None:
    """Fail before any model loads when explicit ``params`` patterns match none of ``model_dir``'s weight names
    (read from the safetensors headers; a directory without them is left to :func:`select_params`)."""
    if params in ("all", "default"):
        return
    from safetensors import safe_open

    names = []
    for file in sorted(Path(model_dir).glob("*.safetensors")):
        with safe_open(str(file), "pt") as f:
            names += list(f.keys())
    patterns = [params] if isinstance(params, str) else list(params)
    if names and not any(fnmatch.fnmatch(n, pat) for n in names for pat in patterns):
        raise AttributionError(f"params={params!r} selects no trainable parameter of {model_dir} (weights are named "
                               f"like {names[0]!r}); try 'default' or 'all'")  # fmt: skip


def select_params(model: Any, params: str | Sequence[str] = "default") -> dict[str, Any]:
    """Name -> parameter of the selected weights, in ``named_parameters`` order (tied weights once)."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if params == "all":
        keep = named
    elif params == "default":
        keep = [(n, p) for n, p in named if not any(fnmatch.fnmatch(n, pat) for pat in EXCLUDED)]
    else:
        patterns = [params] if isinstance(params, str) else list(params)
        keep = [(n, p) for n, p in named if any(fnmatch.fnmatch(n, pat) for pat in patterns)]
    if not keep:
        raise AttributionError(f"params={params!r} selects no trainable parameter; try 'default' or 'all'")
    return dict(keep)


def _blocks(value: Any, params: list[Any]) -> list[Any]:
    import torch

    grads = torch.autograd.grad(value, params, allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for g, p in zip(grads, params, strict=True)]


def example_gradients(
    model: Any,
    loss_fn: Callable[[Any, dict[str, Any]], Any],
    views: Sequence[Sequence[dict[str, Any]]],
    params: dict[str, Any],
    pad_id: int,
    project: Callable[[list[Any]], Any] | None = None,
) -> Iterator[Any]:
    """One gradient per example, ``(P,)`` flat or ``(k,)`` projected.

    Parameters
    ----------
    model
        In eval mode (no dropout: the gradient is a function of the weights only).
    loss_fn
        ``get_kind(kind).loss_function()``: ``(model, batch) -> (B,)`` summed token cross-entropy.
    views
        Per example, its encoded views (one per epoch used); the gradient is that of the mean loss over them.
    params
        From :func:`select_params`.
    pad_id
        The objective's padding id.
    project
        Maps a list of per-parameter gradient blocks to features (e.g. :meth:`CountSketch.project`).
    """
    import torch

    from valueshift.training.objectives import collate

    plist = list(params.values())
    dev = plist[0].device
    for feats in views:
        batch = {k: v.to(dev) for k, v in collate(list(feats), pad_id).items()}
        loss = loss_fn(model, batch).mean()  # mean over the example's views
        blocks = _blocks(loss, plist)
        if project is not None:
            yield project([b.reshape(1, -1) for b in blocks])[0]
        else:
            yield torch.cat([b.reshape(-1) for b in blocks])


def target_gradients(
    value_fn: Callable[[int], Any], n: int, params: dict[str, Any], project: Callable[[list[Any]], Any] | None = None
) -> Iterator[Any]:
    """Gradient of ``value_fn(i)`` (a 0-dim tensor, e.g. a probe's value) for ``i < n``."""
    import torch

    plist = list(params.values())
    for i in range(n):
        blocks = _blocks(value_fn(i).float(), plist)
        if project is not None:
            yield project([b.reshape(1, -1) for b in blocks])[0]
        else:
            yield torch.cat([b.reshape(-1) for b in blocks])
