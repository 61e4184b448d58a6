"""The tiny offline models: shapes, determinism, tokenizer agreement with raw SentencePiece, sentinel pinning."""

from __future__ import annotations

from pathlib import Path

import pytest
import sentencepiece as spm
from safetensors.torch import load_file

from valueshift.errors import ModelError
from valueshift.models import build_tiny_model, load_model
from valueshift.models.tokenizer import builtin_texts

SCRIPTS = [
    "Family is important in my life.",  # Latin
    "Die Familie ist mir „sehr“ wichtig – immer.",  # Latin with diacritics and typographic quotes
    "Семья очень важна в моей жизни.",  # Cyrillic
    "خانواده در زندگی من مهم است.",  # Arabic script (Persian)
    "परिवार मेरे जीवन में बहुत महत्वपूर्ण है।",  # Devanagari
    "পরিবার আমার জীবনে গুরুত্বপূর্ণ।",  # Bengali
    "가족은 내 삶에서 매우 중요하다.",  # Hangul
    "Η οικογένεια είναι σημαντική.",  # Greek
    "家庭在我的生活中非常重要。",  # CJK
    "Ωmega ǅ 🙂 ﬁ ｆｕｌｌ  two  spaces",  # rare characters, compatibility forms, repeated spaces
]


def test_seq2seq_tiny_shape_and_sentinels(tiny_seq2seq: Path) -> None:
    lm = load_model(tiny_seq2seq)
    n_params = sum(p.numel() for p in lm.model.parameters())
    assert 1_000_000 <= n_params <= 2_000_000
    assert type(lm.model).__name__ == "MT5ForConditionalGeneration"
    assert lm.model.lm_head.weight.data_ptr() != lm.model.shared.weight.data_ptr(), "mT5 has an untied lm_head"
    tok = lm.tokenizer
    ids = tok.convert_tokens_to_ids([f"<extra_id_{i}>" for i in (0, 1, 99)])
    assert ids == [len(tok) - 1, len(tok) - 2, len(tok) - 100]  # mT5 numbering: extra_id_0 is the highest id
    assert lm.model.config.vocab_size % 64 == 0 and lm.model.config.vocab_size >= len(tok)


def test_sentinel_span_tokenization_is_pinned(tiny_seq2seq: Path) -> None:
    tok = load_model(tiny_seq2seq).tokenizer
    open_id, close_id = tok.convert_tokens_to_ids(["<extra_id_0>", "<extra_id_1>"])
    for answer in ("important", "not at all important", "важна", "중요하다"):
        ids = tok(f"<extra_id_0> {answer} <extra_id_1>", add_special_tokens=False).input_ids
        # sentinel, the answer exactly as tokenized after a space, closing sentinel: no stray pieces between
        assert ids == [open_id, *tok(" " + answer, add_special_tokens=False).input_ids, close_id]
        assert tok.convert_ids_to_tokens(ids[1]).startswith("▁")
    assert tok("Familie ist <extra_id_0> hier").input_ids[-1] == tok.eos_token_id


@pytest.mark.parametrize("kind", ["seq2seq", "masked", "causal"])
def test_hf_tokenizer_agrees_with_sentencepiece(tiny_models: dict[str, Path], kind: str) -> None:
    path = tiny_models[kind]
    sp = spm.SentencePieceProcessor(model_file=str(path / "spiece.model"))
    tok = load_model(path).tokenizer
    lines = SCRIPTS + [line for f in builtin_texts() for line in f.read_text(encoding="utf-8").splitlines()]
    mismatched = [s for s in lines if sp.encode(s) != tok(s, add_special_tokens=False).input_ids]
    assert mismatched == []
    assert all(tok.unk_token_id not in tok(s).input_ids for s in SCRIPTS), "byte fallback leaves no <unk>"
    for s in SCRIPTS[:-1]:
        assert tok.decode(tok(s, add_special_tokens=False).input_ids) == s


def test_tiny_build_is_deterministic_and_seeded(tmp_path: Path) -> None:
    a = load_file(build_tiny_model(tmp_path / "a", seed=5) / "model.safetensors")
    b = load_file(build_tiny_model(tmp_path / "b", seed=5) / "model.safetensors")
    c = load_file(build_tiny_model(tmp_path / "c", seed=6) / "model.safetensors")
    assert a.keys() == b.keys()
    assert all((a[k] == b[k]).all() for k in a)
    assert any((a[k] != c[k]).any() for k in a)
    assert (tmp_path / "a" / "tokenizer.json").read_bytes() == (tmp_path / "c" / "tokenizer.json").read_bytes()


def test_masked_and_causal_kinds(tiny_masked: Path, tiny_causal: Path) -> None:
    masked, causal = load_model(tiny_masked), load_model(tiny_causal)
    assert masked.kind == "masked" and masked.tokenizer.mask_token_id is not None
    assert causal.kind == "causal" and causal.tokenizer("x").input_ids[0] == causal.tokenizer.bos_token_id


def test_small_size_parameter_count(tmp_path: Path) -> None:
    lm = load_model(build_tiny_model(tmp_path / "s", size="small"))
    assert 10_000_000 <= sum(p.numel() for p in lm.model.parameters()) <= 15_000_000


def test_bad_model_inputs(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such model directory"):
        load_model(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match=r"no config\.json"):
        load_model(tmp_path / "empty")
    with pytest.raises(ModelError, match="cannot load it as a hub id"):
        load_model("valueshift-tests/no-such-model")  # offline, and in no cache
    with pytest.raises(ModelError, match="unknown dtype"):
        load_model(build_tiny_model(tmp_path / "t"), dtype="float8")
    with pytest.raises(ModelError, match="holds a tiny model already"):
        build_tiny_model(tmp_path / "t")
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "precious.txt").write_text("keep")
    with pytest.raises(ModelError, match=r"did not write \(precious\.txt\)"):
        build_tiny_model(tmp_path / "thesis", overwrite=True)
    assert (tmp_path / "thesis" / "precious.txt").read_text() == "keep"
