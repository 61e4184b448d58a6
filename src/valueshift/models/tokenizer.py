"""The SentencePiece tokenizer of the tiny offline models, trained on the project's own multilingual texts.

mT5-style: unigram SentencePiece, ``<pad>``=0, ``</s>``=1, ``<unk>``=2, byte fallback (so no character is
ever ``<unk>``), and 100 sentinels ``<extra_id_0>`` (highest id) ... ``<extra_id_99>``. Masked and causal
variants add ``<s>`` and ``<mask>`` after the sentinels.

Why not ``T5Tokenizer`` as saved: in transformers 5 it rebuilds its backend with byte fallback off, so the
HF tokenizer and raw sentencepiece disagree on characters outside the vocabulary. The directory therefore
declares the generic tokenizers-backed class and carries the exact ``tokenizer.json``; ``spiece.model`` is kept
beside it for reference.

:func:`check_tokenizer_fit` guards every loaded checkpoint: a directory without tokenizer files makes
transformers build a default tokenizer of about a hundred ids, and every word then scores as ``<unk>``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from valueshift.errors import ModelError

__all__ = [
    "N_SENTINELS",
    "TOKENIZER_FILES",
    "build_tokenizer",
    "builtin_texts",
    "check_tokenizer_fit",
    "train_sentencepiece",
]

N_SENTINELS = 100
TokenizerFlavor = Literal["seq2seq", "masked", "causal"]
# Any one of these in a model directory means it carries its own tokenizer (fast, SentencePiece, WordPiece, BPE).
TOKENIZER_FILES = (
    "tokenizer.json", "tokenizer_config.json", "spiece.model", "sentencepiece.bpe.model", "tokenizer.model",
    "vocab.txt", "vocab.json",
)  # fmt: skip
# Padding embedding rows past the tokenizer is normal (mT5: 250100 ids, 250112 rows; Qwen2: 151646 / 151936); a
# tokenizer with fewer than half the rows is a default or foreign one.
_MIN_FILL = 0.5


def builtin_texts() -> list[Path]:
    """The project's multilingual text files (``resources/texts/<lang>.txt``)."""
    root = Path(str(resources.files("valueshift") / "resources" / "texts"))
    files = sorted(root.glob("*.txt"))
    if not files:
        raise ModelError(f"{root}: no builtin texts to train the tiny tokenizer on (package data missing?)")
    return files


def train_sentencepiece(out_dir: Path, texts: list[Path], vocab_size: int) -> Path:
    """Train a unigram SentencePiece model (deterministic: one thread, no sampling) into ``out_dir/spiece.model``."""
    import sentencepiece as spm

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(f.read_text(encoding="utf-8").strip() for f in texts) + "\n", encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus),
            model_prefix=str(Path(tmp) / "spiece"),
            vocab_size=vocab_size,
            model_type="unigram",
            character_coverage=1.0,
            byte_fallback=True,
            pad_id=0,
            eos_id=1,
            unk_id=2,
            bos_id=-1,
            hard_vocab_limit=False,  # the text is small; take as many pieces as it supports
            num_threads=1,
            shuffle_input_sentence=False,
            minloglevel=2,
        )
        shutil.copy(Path(tmp) / "spiece.model", out_dir / "spiece.model")
    return out_dir / "spiece.model"


def _backend_json(spm_dir: Path) -> dict[str, Any]:
    from transformers import T5Tokenizer

    # T5Tokenizer converts the SentencePiece model (normalizer, Metaspace, sentinels) for us; we then switch on
    # byte fallback and give it a decoder that turns <0xNN> pieces back into characters.
    t5 = T5Tokenizer.from_pretrained(str(spm_dir), extra_ids=N_SENTINELS)
    js = json.loads(t5.backend_tokenizer.to_str())
    js["model"]["byte_fallback"] = True
    js["decoder"] = {
        "type": "Sequence",
        "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0},
        ],
    }
    return js


def _add_special(js: dict[str, Any], content: str, token_id: int) -> None:
    js["added_tokens"].append({
        "id": token_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
        "normalized": False, "special": True,
    })  # fmt: skip


def build_tokenizer(spm_dir: Path, flavor: TokenizerFlavor) -> Any:
    """A tokenizers-backed HF tokenizer over ``spm_dir/spiece.model`` for one model flavour.

    ``seq2seq`` appends ``</s>`` (as mT5 does); ``masked`` wraps ``<s> ... </s>`` and has ``<mask>``;
    ``causal`` prepends ``<s>``.
    """
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    js = _backend_json(spm_dir)
    n = max(t["id"] for t in js["added_tokens"]) + 1
    special: dict[str, Any] = {"pad_token": "<pad>", "eos_token": "</s>", "unk_token": "<unk>"}
    sentinels = [f"<extra_id_{i}>" for i in range(N_SENTINELS)]
    if flavor in ("masked", "causal"):
        _add_special(js, "<s>", n)
        _add_special(js, "<mask>", n + 1)
        special.update(bos_token="<s>", mask_token="<mask>", cls_token="<s>", sep_token="</s>")
        a, b = {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}
        bos, eos = (
            {"SpecialToken": {"id": "<s>", "type_id": 0}},
            {"SpecialToken": {"id": "</s>", "type_id": 0}},
        )
        single, pair = ([bos, a, eos], [bos, a, eos, b, eos]) if flavor == "masked" else ([bos, a], [bos, a, b])
        js["post_processor"] = {
            "type": "TemplateProcessing",
            "single": single,
            "pair": pair,
            "special_tokens": {
                "<s>": {"id": "<s>", "ids": [n], "tokens": ["<s>"]},
                "</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]},
            },
        }
    backend = Tokenizer.from_str(json.dumps(js))
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, additional_special_tokens=sentinels, model_max_length=512, **special
    )


def check_tokenizer_fit(tokenizer: Any, rows: int, kind: TokenizerFlavor, where: str) -> None:
    """Raise :class:`ModelError` unless ``tokenizer`` can drive a model with ``rows`` embedding rows of ``kind``.

    Checks: no id past the last row, at least half the rows covered, and the special tokens the scorer and the
    training objective need (``<extra_id_0>``/``<extra_id_1>`` for seq2seq, a mask token for masked LMs).
    """
    n = len(tokenizer)
    fix = "use the tokenizer files saved with these weights (tokenizer.json, tokenizer_config.json, spiece.model)"
    if n > rows:
        raise ModelError(
            f"{where}: the tokenizer has {n} ids but the model has only {rows} embedding rows, so it belongs to "
            f"another model; {fix}"
        )
    if n < rows * _MIN_FILL:
        raise ModelError(
            f"{where}: the tokenizer has only {n} ids for a model with {rows} embedding rows (missing or foreign "
            f"tokenizer files; every word would score as <unk>); {fix}"
        )
    unk = getattr(tokenizer, "unk_token_id", None)
    if kind == "seq2seq":
        ids = tokenizer.convert_tokens_to_ids(["<extra_id_0>", "<extra_id_1>"])
        if any(i is None or i == unk for i in ids):
            raise ModelError(
                f"{where}: seq2seq model whose tokenizer has no <extra_id_0>/<extra_id_1> sentinels, which span "
                f"scoring needs; {fix}"
            )
    if kind == "masked" and getattr(tokenizer, "mask_token_id", None) is None:
        raise ModelError(f"{where}: masked LM whose tokenizer has no mask token; {fix}")
