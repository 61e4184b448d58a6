"""The scorer contract: log-probabilities of answers filled into a cloze slot.

A scorer takes :class:`ClozeRequest` items (a template with one ``[MASK]`` and an answer) and returns one
:class:`AnswerScore` per request, in input order. Identical requests are scored once. Results must not depend on
the batch size: batches are formed from length-sorted requests (longest first, so an out-of-memory error shows at
once and time estimates err high) and every padded position is masked out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from valueshift.errors import ScoringError
from valueshift.models.loading import LoadedModel
from valueshift.probes.schema import MASK

__all__ = [
    "PAD_MULTIPLE",
    "AnswerScore",
    "ClozeRequest",
    "PlannedBatch",
    "Scorer",
    "bucket_length",
    "bucketed_batches",
]

ProgressFn = Callable[[int], None]

# Every sequence is padded to a length that depends on its own length only (next multiple of PAD_MULTIPLE), and
# batches never mix such buckets. With a fixed padded length, a row's floats do not depend on which other rows
# share its batch, so scores are bit-identical for every batch size; padding to the batch maximum is not
# (softmax and matmul reductions over a different length round differently, ~1e-6).
PAD_MULTIPLE = 8


@dataclass(frozen=True, slots=True)
class ClozeRequest:
    """``template`` holds exactly one ``[MASK]``; ``answer`` is the text that fills it."""

    template: str
    answer: str

    def split(self) -> tuple[str, str]:
        before, _, after = self.template.partition(MASK)
        return before, after


@dataclass(frozen=True, slots=True)
class AnswerScore:
    """``logprob``: summed log-probability (nats) of the ``n_tokens`` scored tokens."""

    logprob: float
    n_tokens: int


@dataclass(frozen=True, slots=True)
class PlannedBatch:
    """One forward pass of a scorer: ``args`` go to :meth:`Scorer._forward`, whose output row ``k`` adds
    ``n_tokens[k]`` scored tokens to request ``members[k]`` (masked LMs: several rows per request)."""

    args: tuple[Any, ...]
    members: list[int]
    n_tokens: list[int]


def bucket_length(n: int) -> int:
    """The padded length of a sequence of ``n`` tokens."""
    return -(-n // PAD_MULTIPLE) * PAD_MULTIPLE


def bucketed_batches(lengths: Sequence[int], batch_size: int) -> Iterator[tuple[int, list[int]]]:
    """``(padded_length, indices)`` batches: longest bucket first (an OOM shows at once, time estimates err
    high), at most ``batch_size`` items, never two buckets in one batch."""
    order = sorted(range(len(lengths)), key=lambda i: (-bucket_length(lengths[i]), i))
    batch: list[int] = []
    for i in order:
        if batch and (len(batch) == batch_size or bucket_length(lengths[i]) != bucket_length(lengths[batch[0]])):
            yield bucket_length(lengths[batch[0]]), batch
            batch = []
        batch.append(i)
    if batch:
        yield bucket_length(lengths[batch[0]]), batch


class Scorer(ABC):
    """Base class of the three scorers.

    Subclasses implement :meth:`_plan` (the encode step: distinct requests -> bucketed batches),
    :meth:`_forward` (one batch -> log-probabilities, differentiable) and :meth:`neutral_request` (the request
    whose score PMI normalisation subtracts). :meth:`score` runs the forward under ``inference_mode`` (fast,
    bit-identical across batch sizes); :meth:`logprobs` runs the very same plan with autograd on.
    """

    def __init__(self, lm: LoadedModel, *, batch_size: int = 32, mask_padded_vocab: bool = True) -> None:
        if batch_size < 1:
            raise ScoringError(f"batch size must be at least 1, got {batch_size}")
        self.lm = lm
        self.batch_size = batch_size
        # Ids the tokenizer never produces (mT5: 250100..250111) get no probability mass when masked.
        self.n_vocab = lm.vocab_size if mask_padded_vocab else None

    def score(self, requests: Sequence[ClozeRequest], on_progress: ProgressFn | None = None) -> list[AnswerScore]:
        """Score every request; duplicates are computed once. ``on_progress(n)`` reports n more done."""
        unique = self._unique(requests)
        scored = dict(zip(unique, self._score_unique(unique, on_progress or (lambda n: None)), strict=True))
        return [scored[r] for r in requests]

    def logprobs(self, requests: Sequence[ClozeRequest]) -> tuple[Any, list[int]]:
        """Differentiable log-probabilities: the same encoding, batches and forward as :meth:`score`, but with
        autograd on (the caller decides; attribution differentiates it with respect to the weights).

        Returns
        -------
        (torch.Tensor, list of int)
            Summed log-probabilities ``(N,)`` float64 in request order, and scored tokens per request.
        """
        import torch

        unique = self._unique(requests)
        parts: list[list[Any]] = [[] for _ in unique]
        counts = [0] * len(unique)
        for pb in self._plan(unique):
            lp = self._forward(*pb.args)  # (R,)
            for k, (i, n) in enumerate(zip(pb.members, pb.n_tokens, strict=True)):
                parts[i].append(lp[k])
                counts[i] += n
        totals = [torch.stack(p).sum() for p in parts]
        index = {r: i for i, r in enumerate(unique)}
        return torch.stack([totals[index[r]] for r in requests]), [counts[index[r]] for r in requests]

    def _unique(self, requests: Sequence[ClozeRequest]) -> list[ClozeRequest]:
        for r in requests:
            if r.template.count(MASK) != 1:
                raise ScoringError(f"request template must hold exactly one {MASK}: {r.template!r}")
        return list(dict.fromkeys(requests))

    def _score_unique(self, requests: list[ClozeRequest], on_progress: ProgressFn) -> list[AnswerScore]:
        """The fast path: every planned batch under ``inference_mode``, summed in plan order in float64."""
        import torch

        totals = [0.0] * len(requests)
        counts = [0] * len(requests)
        for pb in self._plan(requests):
            with torch.inference_mode():
                values = self._forward(*pb.args).tolist()
            for i, v, n in zip(pb.members, values, pb.n_tokens, strict=True):
                totals[i] += v
                counts[i] += n
            on_progress(len(pb.members))
        return [AnswerScore(t, n) for t, n in zip(totals, counts, strict=True)]

    @abstractmethod
    def _plan(self, requests: list[ClozeRequest]) -> Iterator[PlannedBatch]:
        """Encode distinct requests and cut them into bucketed batches (the encode step)."""

    @abstractmethod
    def _forward(self, *args: Any) -> Any:
        """One planned batch -> log-probabilities ``(R,)`` float64; differentiable (no inference_mode here)."""

    @abstractmethod
    def neutral_request(self, request: ClozeRequest) -> ClozeRequest:
        """The same answer in a content-free context, for PMI calibration."""

    # -- shared helpers ------------------------------------------------------------------------------------
    def _head_log_probs(self, head: Callable[[Any], Any], hidden: Any, rows: Any, targets: Any) -> Any:
        """log p(targets[k]) under ``head(hidden[rows[k]])``.

        ``hidden`` (N, C) is zero-padded to a multiple of ``PAD_MULTIPLE`` rows: BLAS switches kernels (and
        rounding) for matrices of fewer than 4 rows, which would make batch size 1 differ from larger ones.
        """
        import torch

        n = hidden.shape[0]
        padded = torch.cat([hidden, hidden.new_zeros(bucket_length(n) - n, hidden.shape[1])])
        return self._target_log_probs(head(padded)[:n], rows, targets)

    def _target_log_probs(self, logits: Any, rows: Any, targets: Any) -> Any:
        """log p(targets[k]) under ``logits[rows[k]]``; the softmax is normalised once per logits row and only
        over real vocabulary ids."""
        import torch

        if self.n_vocab is not None:
            logits = logits[:, : self.n_vocab]
        logits = logits.float()
        lse = torch.logsumexp(logits, dim=-1)  # (N,)
        return logits[rows, targets] - lse[rows]
