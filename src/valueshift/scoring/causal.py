"""Continuation log-likelihood for causal LMs (lm-evaluation-harness convention).

The template is split at the mask: context = text before it, continuation = answer + text after it (the rest of
the sentence also tells how well the answer fits). Trailing spaces of the context move into the continuation,
and the continuation's tokens are those of ``tok(context + continuation)`` past ``tok(context)``. An empty
context is replaced by the BOS (or EOS) token, as lm-eval does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from valueshift.errors import ScoringError
from valueshift.models.loading import LoadedModel
from valueshift.probes.schema import MASK
from valueshift.scoring.base import ClozeRequest, PlannedBatch, Scorer, bucketed_batches

__all__ = ["CausalLMScorer"]

# Causal LMs whose logits are exactly get_output_embeddings()(last hidden state) (no soft-capping or scaling);
# checked by tests for llama and gpt2. Others take the full forward.
_PLAIN_HEAD = {"llama", "gpt2", "mistral", "qwen2", "qwen3", "gpt_neox", "xglm", "bloom", "olmo", "phi3"}


class CausalLMScorer(Scorer):
    """``batch_size`` counts sequences per forward pass."""

    def __init__(self, lm: LoadedModel, **kwargs: Any) -> None:
        super().__init__(lm, **kwargs)
        tok = lm.tokenizer
        self.prefix_id = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
        if self.prefix_id is None:
            raise ScoringError(f"{lm.name_or_path}: tokenizer has neither BOS nor EOS to start an empty context")
        self.fast_head = lm.model.config.model_type in _PLAIN_HEAD

    def neutral_request(self, request: ClozeRequest) -> ClozeRequest:
        _, after = request.split()
        return ClozeRequest(MASK + after, request.answer)

    def encode(self, request: ClozeRequest) -> tuple[list[int], int]:
        """Token ids of context + continuation and the number of continuation tokens at the end."""
        tok = self.lm.tokenizer
        context, after = request.split()
        continuation = request.answer + after
        n_spaces = len(context) - len(context.rstrip())
        if n_spaces:
            context, continuation = context[:-n_spaces], context[-n_spaces:] + continuation
        if not context:
            whole = list(tok(continuation).input_ids)
            if not whole or whole[0] != self.prefix_id:
                whole = [self.prefix_id, *whole]
            return whole, len(whole) - 1
        ctx = list(tok(context).input_ids)
        whole = list(tok(context + continuation).input_ids)
        if whole[: len(ctx)] != ctx:
            # the context's last token merged with the continuation; fall back to separate encodings
            whole = ctx + list(tok(continuation, add_special_tokens=False).input_ids)
        n_cont = len(whole) - len(ctx)
        if n_cont < 1:
            raise ScoringError(f"continuation {continuation!r} produced no tokens")
        return whole, n_cont

    def _plan(self, requests: list[ClozeRequest]) -> Iterator[PlannedBatch]:
        encoded = [self.encode(r) for r in requests]
        for t_pad, batch in bucketed_batches([len(ids) - 1 for ids, _ in encoded], self.batch_size):
            yield PlannedBatch(([encoded[i] for i in batch], t_pad), batch, [encoded[i][1] for i in batch])

    def _forward(self, items: list[tuple[list[int], int]], t_pad: int) -> torch.Tensor:
        model, dev = self.lm.model, self.lm.device
        pad = self.lm.tokenizer.pad_token_id if self.lm.tokenizer.pad_token_id is not None else self.prefix_id
        inp = torch.full((len(items), t_pad), pad, dtype=torch.long)
        rows, pos, tgt, owner = [], [], [], []
        for r, (ids, n_cont) in enumerate(items):
            inp[r, : len(ids) - 1] = torch.tensor(ids[:-1])
            # position k predicts ids[k + 1]; score the last n_cont targets
            for k in range(len(ids) - 1 - n_cont, len(ids) - 1):
                rows.append(r)
                pos.append(k)
                tgt.append(ids[k + 1])
                owner.append(r)
        inp = inp.to(dev)
        # right padding without an attention mask: causal attention keeps padding out of real positions, and the
        # kernel stays the same for every batch composition (batch-size-independent results)
        r_t, p_t = torch.tensor(rows, device=dev), torch.tensor(pos, device=dev)
        k_t, tgt_t = torch.arange(len(rows), device=dev), torch.tensor(tgt, device=dev)
        if self.fast_head:
            hidden = model.base_model(input_ids=inp).last_hidden_state[r_t, p_t]  # (N, C)
            lp = self._head_log_probs(model.get_output_embeddings(), hidden, k_t, tgt_t)
        else:
            lp = self._target_log_probs(model(input_ids=inp).logits[r_t, p_t], k_t, tgt_t)
        totals = torch.zeros(len(items), dtype=torch.float64, device=dev)
        totals.index_add_(0, torch.tensor(owner, device=dev), lp.double())
        return totals  # (B,) float64
