"""Pseudo-log-likelihood scoring for masked LMs (XLM-R, mBERT), mLAMA style.

The answer is filled into the template and tokenized in context; the answer's tokens are those whose character
offsets overlap the answer. For each answer token one copy of the sentence masks exactly that token (one mask
per answer token); the score is the sum of log p(original token) over the copies (Salazar et al. 2020,
"Masked Language Model Scoring"; Kassner et al. 2021, mLAMA).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from valueshift.errors import ScoringError
from valueshift.models.loading import LoadedModel
from valueshift.probes.schema import MASK
from valueshift.scoring.base import ClozeRequest, PlannedBatch, Scorer, bucketed_batches

__all__ = ["MaskedLMScorer"]

# Architectures whose MLM head is one module applied to the base model's last hidden state (checked by tests);
# others take the slower path through the full forward.
_HEAD_ATTR = {"xlm-roberta": "lm_head", "roberta": "lm_head", "bert": "cls", "camembert": "lm_head"}


class MaskedLMScorer(Scorer):
    """``batch_size`` counts masked sequences per forward pass."""

    def __init__(self, lm: LoadedModel, **kwargs: Any) -> None:
        super().__init__(lm, **kwargs)
        self.mask_id = lm.tokenizer.mask_token_id
        if self.mask_id is None:
            raise ScoringError(f"{lm.name_or_path}: tokenizer has no mask token; not a masked LM")
        attr = _HEAD_ATTR.get(lm.model.config.model_type)
        self.head = getattr(lm.model, attr, None) if attr else None

    def neutral_request(self, request: ClozeRequest) -> ClozeRequest:
        return ClozeRequest(MASK, request.answer)

    def answer_tokens(self, request: ClozeRequest) -> tuple[list[int], list[int]]:
        """Token ids of the filled sentence and the positions of the answer's tokens."""
        before, after = request.split()
        enc = self.lm.tokenizer(
            before + request.answer + after, return_offsets_mapping=True, return_special_tokens_mask=True
        )
        a0, a1 = len(before), len(before) + len(request.answer)
        positions = [
            k
            for k, ((s, e), special) in enumerate(zip(enc.offset_mapping, enc.special_tokens_mask, strict=True))
            if not special and s < a1 and e > a0
        ]
        if not positions:
            raise ScoringError(f"answer {request.answer!r} produced no tokens in {request.template!r}")
        return list(enc.input_ids), positions

    def _plan(self, requests: list[ClozeRequest]) -> Iterator[PlannedBatch]:
        encoded = [self.answer_tokens(r) for r in requests]
        # one masked copy per answer token: (request index, ids, masked position)
        copies = [(i, ids, p) for i, (ids, pos) in enumerate(encoded) for p in pos]
        for t_pad, batch in bucketed_batches([len(c[1]) for c in copies], self.batch_size):
            yield PlannedBatch(([copies[c] for c in batch], t_pad), [copies[c][0] for c in batch], [1] * len(batch))

    def _forward(self, copies: list[tuple[int, list[int], int]], t_pad: int) -> torch.Tensor:
        model, dev = self.lm.model, self.lm.device
        pad = self.lm.tokenizer.pad_token_id
        ids = torch.full((len(copies), t_pad), pad, dtype=torch.long)
        mask = torch.zeros_like(ids)
        targets, positions = [], []
        for r, (_, seq, p) in enumerate(copies):
            ids[r, : len(seq)] = torch.tensor(seq)
            mask[r, : len(seq)] = 1
            targets.append(seq[p])
            positions.append(p)
            ids[r, p] = self.mask_id
        ids, mask = ids.to(dev), mask.to(dev)
        rows = torch.arange(len(copies), device=dev)
        pos = torch.tensor(positions, device=dev)
        tgt = torch.tensor(targets, device=dev)
        if self.head is not None:
            hidden = model.base_model(input_ids=ids, attention_mask=mask).last_hidden_state  # (B, T, C)
            # the head only where a token is masked: (B, C) -> (B, V)
            lp = self._head_log_probs(self.head, hidden[rows, pos], rows, tgt)
        else:
            lp = self._target_log_probs(model(input_ids=ids, attention_mask=mask).logits[rows, pos], rows, tgt)
        return lp.double()  # (B,) one row per masked copy
