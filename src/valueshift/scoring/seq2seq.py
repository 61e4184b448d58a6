"""Span-fill scoring for T5-family encoder-decoders (mT5, T5), as mT5 was pretrained.

For a template ``Familie ist [MASK] in meinem Leben`` and answer ``wichtig``:

- encoder input: ``Familie ist <extra_id_0> in meinem Leben</s>``;
- labels: the whole string ``<extra_id_0> wichtig <extra_id_1>`` tokenized at once (never concatenated from
  separately tokenized pieces: sentinel and space handling differ), trailing ``</s>`` dropped;
- score = sum of log p(answer tokens) + log p(``<extra_id_1>``): the closing sentinel says "the span ends
  here", without it a prefix ("not") would beat its extension ("not at all"). log p(``<extra_id_0>``) is the
  same for every answer of a prompt and is left out.

Cost: the encoder runs once per distinct prompt and its states are shared by all answers; the output layer
(most of a cloze's cost at mT5's 250k vocabulary) runs once per distinct decoder prefix, never on padding or on
the first position. Every answer of a prompt starts with ``<extra_id_0>``, so the row predicting the first
answer token is shared, as are rows of answers with common first tokens.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from valueshift.errors import ScoringError
from valueshift.models.loading import LoadedModel
from valueshift.probes.schema import MASK
from valueshift.scoring.base import ClozeRequest, PlannedBatch, Scorer, bucketed_batches

__all__ = ["Seq2SeqScorer"]

_HEAD_ROWS = 256  # output-layer rows per matmul: bounds memory at 250k vocab (256 x 250k x 4 B = 256 MB)


class Seq2SeqScorer(Scorer):
    """Scores span fills with a T5-family model. ``batch_size`` counts prompts per encoder batch."""

    def __init__(self, lm: LoadedModel, **kwargs: Any) -> None:
        super().__init__(lm, **kwargs)
        tok = lm.tokenizer
        self.open_id, self.close_id = tok.convert_tokens_to_ids(["<extra_id_0>", "<extra_id_1>"])
        if self.open_id in (None, tok.unk_token_id) or self.close_id in (None, tok.unk_token_id):
            raise ScoringError(f"{lm.name_or_path}: tokenizer has no <extra_id_0>/<extra_id_1> sentinels (not T5-like)")
        self.start_id = lm.model.config.decoder_start_token_id
        self.scale = lm.model.model_dim**-0.5 if getattr(lm.model.config, "scale_decoder_outputs", False) else None

    def neutral_request(self, request: ClozeRequest) -> ClozeRequest:
        return ClozeRequest(MASK, request.answer)

    def labels(self, answer: str) -> list[int]:
        """``<extra_id_0> answer <extra_id_1>`` token ids, tokenized as one string, without ``</s>``."""
        ids = self.lm.tokenizer(f"<extra_id_0> {answer} <extra_id_1>", add_special_tokens=False).input_ids
        if len(ids) < 3 or ids[0] != self.open_id or ids[-1] != self.close_id:
            raise ScoringError(f"answer {answer!r} does not tokenize into a span between sentinels: {ids}")
        return ids

    def _plan(self, requests: list[ClozeRequest]) -> Iterator[PlannedBatch]:
        tok = self.lm.tokenizer
        by_prompt: dict[str, list[int]] = {}
        for i, r in enumerate(requests):
            by_prompt.setdefault(r.template, []).append(i)
        prompts = list(by_prompt)
        enc_ids = tok([p.replace(MASK, "<extra_id_0>") for p in prompts]).input_ids
        labels = [self.labels(r.answer) for r in requests]
        for s_pad, batch in bucketed_batches([len(e) for e in enc_ids], self.batch_size):
            members = [(b, i) for b, p in enumerate(batch) for i in by_prompt[prompts[p]]]
            rows = [(b, labels[i]) for b, i in members]
            yield PlannedBatch(
                ([enc_ids[p] for p in batch], s_pad, rows), [i for _, i in members], [len(lab) - 1 for _, lab in rows]
            )

    def _forward(self, enc_ids: list[list[int]], s_pad: int, rows: list[tuple[int, list[int]]]) -> torch.Tensor:
        model, dev = self.lm.model, self.lm.device
        pad = self.lm.tokenizer.pad_token_id
        # encoder: (P, S) prompts, right-padded to the bucket length S
        enc = torch.full((len(enc_ids), s_pad), pad, dtype=torch.long)
        enc_mask = torch.zeros_like(enc)
        for b, ids in enumerate(enc_ids):
            enc[b, : len(ids)] = torch.tensor(ids)
            enc_mask[b, : len(ids)] = 1
        enc, enc_mask = enc.to(dev), enc_mask.to(dev)
        enc_h = model.get_encoder()(input_ids=enc, attention_mask=enc_mask).last_hidden_state  # (P, S, C)

        # decoder: one row per answer, input = [start] + labels[:-1], right-padded to the row's own bucket
        # (sub-batches per bucket); no padding mask is needed because causal attention keeps later (padded)
        # positions out of earlier ones.
        dec_h: list[Any] = [None] * len(rows)  # (T, C) per answer row, filled bucket by bucket
        for t_pad, sub in bucketed_batches([len(lab) for _, lab in rows], len(rows)):
            dec = torch.full((len(sub), t_pad), pad, dtype=torch.long)
            for k, r in enumerate(sub):
                lab = rows[r][1]
                dec[k, : len(lab)] = torch.tensor([self.start_id, *lab[:-1]])
            prompt_of_row = torch.tensor([rows[r][0] for r in sub], device=dev)
            h = model.get_decoder()(
                input_ids=dec.to(dev),
                encoder_hidden_states=enc_h.index_select(0, prompt_of_row),  # (A, S, C)
                encoder_attention_mask=enc_mask.index_select(0, prompt_of_row),
            ).last_hidden_state  # (A, T, C)
            for k, r in enumerate(sub):
                dec_h[r] = h[k]

        # one output row per distinct (prompt, decoder prefix); position j predicts labels[j], j >= 1
        key_index: dict[tuple[int, tuple[int, ...]], int] = {}
        gather_rows: list[int] = []
        gather_pos: list[int] = []
        owner: list[tuple[int, int, int]] = []
        for r, (b, lab) in enumerate(rows):
            for j in range(1, len(lab)):
                key = (b, tuple(lab[:j]))
                if key not in key_index:
                    key_index[key] = len(gather_rows)
                    gather_rows.append(r)
                    gather_pos.append(j)
                owner.append((r, key_index[key], lab[j]))
        hidden = torch.stack([dec_h[r][j] for r, j in zip(gather_rows, gather_pos, strict=True)])  # (U, C)
        if self.scale is not None:
            hidden = hidden * self.scale
        head = model.get_output_embeddings()
        idx = torch.tensor([k for _, k, _ in owner], device=dev)
        tgt = torch.tensor([t for _, _, t in owner], device=dev)
        logp = torch.empty(len(owner), device=dev)
        # score each (row, target) against its unique hidden row, in bounded blocks of unique rows
        for start in range(0, hidden.shape[0], _HEAD_ROWS):
            stop = start + _HEAD_ROWS
            sel = ((idx >= start) & (idx < stop)).nonzero().squeeze(1)
            logp[sel] = self._head_log_probs(head, hidden[start:stop], idx[sel] - start, tgt[sel])
        totals = torch.zeros(len(rows), dtype=torch.float64, device=dev)
        totals.index_add_(0, torch.tensor([r for r, _, _ in owner], device=dev), logp.double())
        return totals  # (A,) float64
