"""Tiny offline models: the same code paths as real checkpoints, in seconds, with no hub.

``build_tiny_model(out, kind="seq2seq", size="tiny", seed=0)`` writes a ``save_pretrained`` directory:

- ``seq2seq``: ``MT5ForConditionalGeneration`` with an untied ``lm_head`` like real mT5,
- ``masked``: ``XLMRobertaForMaskedLM``,
- ``causal``: ``LlamaForCausalLM``,

all sharing one SentencePiece vocabulary trained on ``resources/texts``. Weights are random and deterministic
given the seed; the values they produce are meaningless but exercise every path real checkpoints use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from valueshift.errors import ModelError
from valueshift.models.tokenizer import build_tokenizer, builtin_texts, train_sentencepiece
from valueshift.runs import atomic_dir, check_writable

__all__ = ["TINY_SIZES", "TinyShape", "build_tiny_model", "tiny_model_path"]

TinySize = Literal["tiny", "small"]
TinyKind = Literal["seq2seq", "masked", "causal"]
_FORMAT_VERSION = 1  # bump when the builder changes, so caches are rebuilt


@dataclass(frozen=True)
class TinyShape:
    d_model: int  # C, hidden width
    d_ff: int  # feed-forward width (gated in mT5, so 3 matrices)
    layers: int  # per stack (encoder and decoder each for seq2seq)
    heads: int
    spm_vocab: int  # SentencePiece pieces requested (fewer if the text does not support them)


TINY_SIZES: dict[str, TinyShape] = {
    "tiny": TinyShape(d_model=128, d_ff=256, layers=2, heads=4, spm_vocab=4000),  # ~1.8M params (seq2seq)
    "small": TinyShape(d_model=256, d_ff=1024, layers=4, heads=4, spm_vocab=4000),  # ~12M params (seq2seq)
}


def _padded(n: int, multiple: int = 64) -> int:
    return (n + multiple - 1) // multiple * multiple


def _make_model(kind: TinyKind, shape: TinyShape, tok: Any) -> Any:
    import transformers as tf

    vocab = _padded(len(tok))  # like mT5: model rows past the tokenizer's ids are never produced
    common = {"pad_token_id": tok.pad_token_id, "eos_token_id": tok.eos_token_id}
    if kind == "seq2seq":
        cfg: Any = tf.MT5Config(
            vocab_size=vocab, d_model=shape.d_model, d_kv=shape.d_model // shape.heads, d_ff=shape.d_ff,
            num_layers=shape.layers, num_decoder_layers=shape.layers, num_heads=shape.heads,
            dropout_rate=0.1, feed_forward_proj="gated-gelu", decoder_start_token_id=tok.pad_token_id, **common,
        )  # fmt: skip
        model = tf.MT5ForConditionalGeneration(cfg)
        # Real mT5 has a separate lm_head; transformers 5's MT5Config forces tying, so untie after construction.
        model.config.tie_word_embeddings = False
        model.lm_head.weight = tf.modeling_utils.nn.Parameter(model.shared.weight.detach().clone())
        model.encoder.embed_tokens = model.shared
        model.decoder.embed_tokens = model.shared
        # unit-variance logits (std d_model**-0.5 on RMS-normalised states): per-token log-probs near -log(V) like
        # a trained model's scale, rather than the ~-80 of mT5's std-1 init, which would drown float32 checks
        model.lm_head.weight.data.normal_(mean=0.0, std=shape.d_model**-0.5)
        return model
    if kind == "masked":
        cfg = tf.XLMRobertaConfig(
            vocab_size=vocab, hidden_size=shape.d_model, num_hidden_layers=shape.layers,
            num_attention_heads=shape.heads, intermediate_size=shape.d_ff, max_position_embeddings=514,
            bos_token_id=tok.bos_token_id, **common,
        )  # fmt: skip
        return tf.XLMRobertaForMaskedLM(cfg)
    if kind == "causal":
        cfg = tf.LlamaConfig(
            vocab_size=vocab, hidden_size=shape.d_model, intermediate_size=shape.d_ff,
            num_hidden_layers=shape.layers, num_attention_heads=shape.heads, num_key_value_heads=shape.heads,
            max_position_embeddings=512, bos_token_id=tok.bos_token_id, tie_word_embeddings=False, **common,
        )  # fmt: skip
        return tf.LlamaForCausalLM(cfg)
    raise ModelError(f"unknown tiny model kind {kind!r}: use seq2seq, masked or causal")


_MARKER = "VALUESHIFT_TINY.txt"


def _check_target(out: Path, overwrite: bool) -> None:
    """Refuse, before any work: a file, a folder of user files, or an existing model without ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise ModelError(f"{out}: exists and is not a directory; choose another --out")
    if not out.exists():
        check_writable(out)
        return
    if not any(out.iterdir()):
        return
    if not (out / _MARKER).is_file():
        shown = ", ".join(sorted(p.name for p in out.iterdir())[:5])
        raise ModelError(f"{out}: holds files valueshift did not write ({shown}); choose another --out")
    if not overwrite:
        raise ModelError(f"{out}: holds a tiny model already; pass --overwrite to rebuild it, or choose another --out")


def build_tiny_model(
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 0,
    size: TinySize = "tiny",
    kind: TinyKind = "seq2seq",
    overwrite: bool = False,
) -> Path:
    """Build a small random-init model with the project's tokenizer and save it in HF layout.

    Parameters
    ----------
    out_dir
        Target directory; written atomically (built in a temporary sibling, then renamed).
    seed
        Seeds weight initialisation; the tokenizer is deterministic regardless.
    size
        ``tiny`` (~1.8M parameters for seq2seq) or ``small`` (~12M).
    kind
        ``seq2seq`` (mT5), ``masked`` (XLM-R) or ``causal`` (Llama).
    overwrite
        Replace an existing tiny model; a directory holding anything else is never replaced.

    Returns
    -------
    Path
        ``out_dir``, loadable with :func:`valueshift.models.load_model` or ``AutoModel*.from_pretrained``.
    """
    import torch

    if size not in TINY_SIZES:
        raise ModelError(f"unknown tiny model size {size!r}: use {' or '.join(TINY_SIZES)}")
    if kind not in ("seq2seq", "masked", "causal"):
        raise ModelError(f"unknown tiny model kind {kind!r}: use seq2seq, masked or causal")
    out = Path(out_dir)
    _check_target(out, overwrite)
    shape = TINY_SIZES[size]
    with atomic_dir(out) as tmp:
        train_sentencepiece(tmp, builtin_texts(), shape.spm_vocab)
        tok = build_tokenizer(tmp, kind)
        state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        try:
            model = _make_model(kind, shape, tok)
        finally:
            torch.random.set_rng_state(state)
        model.eval()
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        (tmp / _MARKER).write_text(
            f"valueshift tiny model: kind={kind} size={size} seed={seed} format={_FORMAT_VERSION}\n"
            "Random weights: values are meaningless; for tests and demos only.\n"
        )
    return out


def tiny_model_path(*, kind: TinyKind = "seq2seq", size: TinySize = "tiny", seed: int = 0) -> Path:
    """A cached tiny model under ``$XDG_CACHE_HOME/valueshift`` (built on first use)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "valueshift" / "tiny"
    path = cache / f"{kind}-{size}-seed{seed}-v{_FORMAT_VERSION}"
    if not (path / "config.json").is_file():
        build_tiny_model(path, seed=seed, size=size, kind=kind, overwrite=True)
    return path
