"""A tokenizer must fit its model: no ids past the embedding rows, not a small default vocabulary, and the
special tokens the scorer needs. Checked on the tiny models with tokenizers swapped between them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from valueshift.errors import ModelError
from valueshift.models import load_model, load_tokenizer
from valueshift.models.tokenizer import TOKENIZER_FILES, check_tokenizer_fit


def _swap_tokenizer(model: Path, tokenizer_from: Path, out: Path) -> Path:
    shutil.copytree(model, out)
    for name in TOKENIZER_FILES:
        (out / name).unlink(missing_ok=True)
        if (tokenizer_from / name).is_file():
            shutil.copy(tokenizer_from / name, out / name)
    return out


def test_tiny_models_fit_their_own_tokenizers(tiny_models: dict[str, Path]) -> None:
    for kind, path in tiny_models.items():
        lm = load_model(path, device="cpu")
        assert lm.kind == kind
        rows = lm.model.get_input_embeddings().weight.shape[0]
        check_tokenizer_fit(lm.tokenizer, rows, lm.kind, str(path))
        assert len(load_tokenizer(path)) == len(lm.tokenizer)


def test_seq2seq_tokenizer_in_a_masked_model_is_refused(tiny_masked: Path, tiny_seq2seq: Path, tmp_path: Path) -> None:
    mixed = _swap_tokenizer(tiny_masked, tiny_seq2seq, tmp_path / "mixed")
    with pytest.raises(ModelError, match="no mask token"):
        load_model(mixed, device="cpu")


def test_masked_tokenizer_in_a_seq2seq_model_fits(tiny_seq2seq: Path, tiny_masked: Path, tmp_path: Path) -> None:
    # same vocabulary plus <s>/<mask>: still inside the padded rows, sentinels present
    mixed = _swap_tokenizer(tiny_seq2seq, tiny_masked, tmp_path / "mixed")
    assert load_model(mixed, device="cpu").kind == "seq2seq"


def test_tokenizer_larger_than_the_embedding_is_refused(tiny_seq2seq: Path, tmp_path: Path) -> None:
    grown = tmp_path / "grown"
    shutil.copytree(tiny_seq2seq, grown)
    tok = load_tokenizer(grown)
    tok.add_tokens([f"neu{i}" for i in range(200)])
    tok.save_pretrained(grown)
    with pytest.raises(ModelError, match=r"has \d+ ids but the model has only 4160 embedding rows"):
        load_model(grown, device="cpu")
    with pytest.raises(ModelError, match="embedding rows"):
        load_tokenizer(grown)


class _Tok:
    def __init__(self, n: int, *, mask: int | None = None, sentinels: bool = True) -> None:
        self.n, self.unk_token_id, self.mask_token_id, self.sentinels = n, 2, mask, sentinels

    def __len__(self) -> int:
        return self.n

    def convert_tokens_to_ids(self, tokens: list[str]) -> list[int]:
        return [self.n - 1 - int(t[len("<extra_id_") : -1]) if self.sentinels else self.unk_token_id for t in tokens]


@pytest.mark.parametrize(
    ("n", "rows", "ok"),
    [
        (250_100, 250_112, True),  # mT5's padding
        (151_646, 151_936, True),  # Qwen2's padding
        (250_002, 250_002, True),
        (250_113, 250_112, False),  # an id without a row
        (104, 4_160, False),  # transformers' default when the tokenizer files are missing
        (2_000, 4_160, False),
    ],
)
def test_fit_rule(n: int, rows: int, ok: bool) -> None:
    if ok:
        check_tokenizer_fit(_Tok(n), rows, "seq2seq", "m")
    else:
        with pytest.raises(ModelError, match=r"^m: the tokenizer has"):
            check_tokenizer_fit(_Tok(n), rows, "seq2seq", "m")


def test_special_tokens_per_kind() -> None:
    with pytest.raises(ModelError, match="sentinels"):
        check_tokenizer_fit(_Tok(100, sentinels=False), 100, "seq2seq", "m")
    with pytest.raises(ModelError, match="mask token"):
        check_tokenizer_fit(_Tok(100), 100, "masked", "m")
    check_tokenizer_fit(_Tok(100, mask=99), 100, "masked", "m")
    check_tokenizer_fit(_Tok(100, sentinels=False), 100, "causal", "m")
