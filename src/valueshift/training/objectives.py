"""Pre-training objectives for fine-tuning: T5 span corruption, masked LM, causal LM; chosen from the model kind.

Lifecycle: ``objective = objective_for(kind, tokenizer, settings)`` (checks the tokenizer has what the objective
needs) -> ``ids = objective.tokenize(texts, max_length)`` once per run -> ``objective.encode(ids[i], rng)`` per
example and epoch (noise drawn from ``rng``) -> :func:`collate` pads a batch dynamically.

``encode`` is a pure function of its arguments: the trainer seeds ``rng`` from (seed, epoch, example id), so the
corruption an example gets does not depend on batch order, and a resumed run sees exactly the same noise.

References
----------
Raffel et al. 2020, *Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer*, sec. 3.1.4
(span corruption: 15% noise, mean span length 3, one sentinel per span). Xue et al. 2021 (mT5) uses the same
objective with sentinels ``<extra_id_0>`` (highest id) downwards. Devlin et al. 2019, sec. 3.1 (MLM 15%,
80/10/10).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from valueshift.errors import TrainingError
from valueshift.training.config import ObjectiveSettings

__all__ = [
    "CausalLM",
    "MaskedLM",
    "Objective",
    "SpanCorruption",
    "collate",
    "objective_for",
    "random_segmentation",
    "span_noise_mask",
]

IGNORE = -100  # label value the HF losses skip


class Objective(ABC):
    """Turns one tokenized text into model inputs.

    Contract: ``tokenize`` returns int64 arrays (the token ids an example starts from, specials as the objective
    wants them); ``encode`` returns ``{"input_ids", "labels"}`` lists and must be deterministic given ``rng``.
    """

    name: str = "objective"

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.pad_id = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)

    @abstractmethod
    def tokenize(self, texts: Sequence[str], max_length: int) -> list[np.ndarray]: ...

    @abstractmethod
    def encode(self, ids: np.ndarray, rng: np.random.Generator) -> dict[str, list[int]]: ...

    def describe(self) -> dict[str, Any]:
        """Settings recorded in the manifest."""
        return {"name": self.name}

    @classmethod
    def from_settings(cls, tokenizer: Any, settings: ObjectiveSettings) -> Objective:
        """The objective with its knobs taken from ``settings`` (where every default is written)."""
        return cls(tokenizer)


# -- span corruption -----------------------------------------------------------------------------------------
def random_segmentation(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``n`` items into ``k`` non-empty consecutive segments, uniformly over such splits; their lengths."""
    cuts = np.sort(rng.choice(n - 1, size=k - 1, replace=False) + 1) if k > 1 else np.empty(0, dtype=np.int64)
    return np.diff(np.concatenate([[0], cuts, [n]])).astype(np.int64)


def span_noise_mask(length: int, density: float, mean_span: float, rng: np.random.Generator) -> np.ndarray:
    """T5's noise mask: about ``density * length`` noised tokens in spans of mean length ``mean_span``.

    The number of noise tokens and spans depends only on ``length``; where they go is random. As in T5, spans
    alternate non-noise, noise, ..., starting with non-noise, so every span has context before it.

    Examples
    --------
    >>> m = span_noise_mask(20, 0.15, 3.0, np.random.default_rng(0))
    >>> int(m.sum()), bool(m[0])
    (3, False)
    """
    if length < 2:
        return np.ones(length, dtype=bool)  # a one-token text: the whole text is the span
    n_noise = min(max(round(length * density), 1), length - 1)
    n_spans = min(max(round(n_noise / mean_span), 1), n_noise, length - n_noise)
    noise = random_segmentation(n_noise, n_spans, rng)
    keep = random_segmentation(length - n_noise, n_spans, rng)
    lengths = np.stack([keep, noise], axis=1).reshape(-1)  # (2 * spans,): keep0, noise0, keep1, noise1, ...
    flags = np.tile([False, True], n_spans)
    return np.repeat(flags, lengths)


class SpanCorruption(Objective):
    """T5/mT5 span corruption for seq2seq models.

    Input: the text with each noise span replaced by the next sentinel, then ``</s>``. Target: each sentinel
    followed by its span, then a closing sentinel and ``</s>`` -- the closing sentinel says "the span ends here",
    the same shape the cloze scorer uses (``<extra_id_0> answer <extra_id_1>``).
    """

    name = "span_corruption"

    def __init__(self, tokenizer: Any, *, noise_density: float, mean_span: float) -> None:
        super().__init__(tokenizer)
        self.noise_density, self.mean_span = noise_density, mean_span
        self.eos_id = tokenizer.eos_token_id
        self.sentinels = sentinel_ids(tokenizer)
        if not self.sentinels or self.eos_id is None:
            raise TrainingError(
                f"{getattr(tokenizer, 'name_or_path', 'tokenizer')}: a seq2seq model needs a tokenizer with "
                "<extra_id_0>.. sentinels and </s> for span corruption; use an mT5/T5 tokenizer"
            )

    @classmethod
    def from_settings(cls, tokenizer: Any, settings: ObjectiveSettings) -> Objective:
        return cls(tokenizer, noise_density=settings.noise_density, mean_span=settings.mean_span)

    def tokenize(self, texts: Sequence[str], max_length: int) -> list[np.ndarray]:
        enc = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        # keep room for </s> and the sentinels the corruption adds
        return [np.asarray(ids[: max(1, max_length - 1)], dtype=np.int64) for ids in enc]

    def encode(self, ids: np.ndarray, rng: np.random.Generator) -> dict[str, list[int]]:
        mask = span_noise_mask(len(ids), self.noise_density, self.mean_span, rng)
        inputs: list[int] = []
        labels: list[int] = []
        span = -1
        for i, tok in enumerate(ids.tolist()):
            if mask[i]:
                if i == 0 or not mask[i - 1]:
                    span += 1
                    if span >= len(self.sentinels):
                        raise TrainingError(
                            f"a text needs more than {len(self.sentinels)} sentinels; lower --max-length"
                        )
                    inputs.append(self.sentinels[span])
                    labels.append(self.sentinels[span])
                labels.append(tok)
            else:
                inputs.append(tok)
        closing = self.sentinels[min(span + 1, len(self.sentinels) - 1)]
        return {"input_ids": [*inputs, self.eos_id], "labels": [*labels, closing, self.eos_id]}

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "noise_density": self.noise_density, "mean_span": self.mean_span}


def sentinel_ids(tokenizer: Any, n: int = 100) -> list[int]:
    """Ids of ``<extra_id_0>``, ``<extra_id_1>``, ... that the tokenizer knows (stops at the first unknown)."""
    unk = tokenizer.unk_token_id
    out: list[int] = []
    for i in range(n):
        tid = tokenizer.convert_tokens_to_ids(f"<extra_id_{i}>")
        if tid is None or tid == unk:
            break
        out.append(int(tid))
    return out


# -- masked LM -----------------------------------------------------------------------------------------------
class MaskedLM(Objective):
    """BERT-style masked LM: 15% of the non-special tokens are predicted; of those 80% become ``<mask>``, 10% a
    random regular token, 10% stay."""

    name = "masked_lm"

    def __init__(self, tokenizer: Any, *, probability: float) -> None:
        super().__init__(tokenizer)
        self.probability = probability
        self.mask_id = tokenizer.mask_token_id
        if self.mask_id is None:
            raise TrainingError("a masked LM needs a tokenizer with a mask token; this one has none")
        self.special = np.asarray(sorted(set(tokenizer.all_special_ids)), dtype=np.int64)
        regular = np.setdiff1d(np.arange(len(tokenizer), dtype=np.int64), self.special)
        self.regular = regular

    @classmethod
    def from_settings(cls, tokenizer: Any, settings: ObjectiveSettings) -> Objective:
        return cls(tokenizer, probability=settings.mlm_probability)

    def tokenize(self, texts: Sequence[str], max_length: int) -> list[np.ndarray]:
        enc = self.tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
        return [np.asarray(ids, dtype=np.int64) for ids in enc]

    def encode(self, ids: np.ndarray, rng: np.random.Generator) -> dict[str, list[int]]:
        cand = np.flatnonzero(~np.isin(ids, self.special))
        inputs = ids.copy()
        labels = np.full_like(ids, IGNORE)
        if len(cand):
            n = max(1, round(len(cand) * self.probability))
            pos = np.sort(rng.choice(cand, size=n, replace=False))
            labels[pos] = ids[pos]
            r = rng.random(n)
            inputs[pos[r < 0.8]] = self.mask_id
            rand_pos = pos[(r >= 0.8) & (r < 0.9)]
            inputs[rand_pos] = rng.choice(self.regular, size=len(rand_pos))
        return {"input_ids": inputs.tolist(), "labels": labels.tolist()}

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "probability": self.probability}


# -- causal LM -----------------------------------------------------------------------------------------------
class CausalLM(Objective):
    """Next-token prediction; the text ends with ``</s>`` so the model also learns where a text stops."""

    name = "causal_lm"

    def tokenize(self, texts: Sequence[str], max_length: int) -> list[np.ndarray]:
        eos = self.tokenizer.eos_token_id
        enc = self.tokenizer(list(texts), truncation=True, max_length=max_length - 1)["input_ids"]
        out = []
        for ids in enc:
            if eos is not None and (not ids or ids[-1] != eos):
                ids = [*ids, eos]
            out.append(np.asarray(ids, dtype=np.int64))
        return out

    def encode(self, ids: np.ndarray, rng: np.random.Generator) -> dict[str, list[int]]:
        seq = ids.tolist()
        return {"input_ids": seq, "labels": list(seq)}  # the loss shifts labels by one (training/losses.py)


def objective_for(kind: str, tokenizer: Any, settings: ObjectiveSettings | None = None) -> Objective:
    """The objective registered for a model kind (:mod:`valueshift.models.kinds`): seq2seq -> span corruption,
    masked -> MLM, causal -> CLM. A tokenizer that lacks what the objective needs is a TrainingError."""
    from valueshift.models.kinds import get_kind

    return get_kind(kind).objective_class().from_settings(tokenizer, settings or ObjectiveSettings())


def collate(features: list[dict[str, list[int]]], pad_id: int) -> dict[str, Any]:
    """Pad a batch to its own longest input and label (dynamic padding); labels pad with -100."""
    import torch

    b = len(features)
    t_in = max(len(f["input_ids"]) for f in features)
    t_lab = max(len(f["labels"]) for f in features)
    input_ids = torch.full((b, t_in), pad_id, dtype=torch.long)  # (B, T_in)
    attention = torch.zeros((b, t_in), dtype=torch.long)  # (B, T_in)
    labels = torch.full((b, t_lab), IGNORE, dtype=torch.long)  # (B, T_lab)
    for i, f in enumerate(features):
        n, m = len(f["input_ids"]), len(f["labels"])
        input_ids[i, :n] = torch.as_tensor(f["input_ids"])
        attention[i, :n] = 1
        labels[i, :m] = torch.as_tensor(f["labels"])
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}
