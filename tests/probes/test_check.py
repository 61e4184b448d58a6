"""Probe quality checker: Arora's known defects, checker-only rules, builtin sets, CLI."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from valueshift.cli import main
from valueshift.errors import ConfigError
from valueshift.probes import load_jsonl
from valueshift.probes.check import check_probe_set, check_probes

KNOWN_NO_MASK = {("bn", "110b"), ("sr", "106a"), ("sr", "130d"), ("sr", "152b"), ("sr", "156b")}
OPTION_IDS = {f"{q}{s}" for q in (152, 154, 156) for s in "abcd"} | {f"{q}{s}" for q in (173, 174, 175) for s in "ab"}


@pytest.fixture(scope="module")
def arora_wvs(shared_data: Path):
    return check_probes(f"arora-wvs:{shared_data / 'arora-value-probes' / 'wvs'}")


def test_arora_wvs_known_defects(arora_wvs) -> None:
    report = arora_wvs
    assert len(report.langs) == 13
    assert {(d.lang, d.probe_id) for d in report.errors} == KNOWN_NO_MASK
    assert {d.kind for d in report.errors} == {"no_mask"}
    assert not report.ok
    single = [d for d in report.defects if d.kind == "single_answer"]
    per_lang = Counter(d.lang for d in single)
    # 18 option probes per language; sr loses 152b and 156b to the missing mask
    assert per_lang == {lang: (16 if lang == "sr" else 18) for lang in report.langs}
    assert {d.probe_id for d in single} == OPTION_IDS
    inside = [d for d in report.defects if d.kind == "mask_inside_word"]
    assert any(d.lang == "tr" and "[MASK]dir" in d.message for d in inside)
    assert not [d for d in report.defects if d.kind == "missing_in_lang"]  # same ids everywhere
    summary = report.summary().set_index("lang")
    assert summary.loc["sr", "probes"] == 268 and summary.loc["sr", "errors"] == 4
    assert summary.loc["de", "probes"] == 272 and summary.loc["de", "errors"] == 0


def test_arora_hofstede_has_no_errors(shared_data: Path) -> None:
    report = check_probes(f"arora-hofstede:{shared_data / 'arora-value-probes'}", langs="de,tr")
    assert report.ok
    assert report.n_probes == {"de": 24, "tr": 24}
    assert Counter(d.kind for d in report.defects)["no_direction"] == 48


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return path


def _probe(pid: str, lang: str, template: str, pos: str, neg: str | None, direction: int | None = 1) -> dict:
    return {"probe_id": pid, "lang": lang, "template": template, "answer_pos": pos, "answer_neg": neg,
            "direction": direction}  # fmt: skip


def test_checker_only_rules(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "set.jsonl",
        [
            _probe("1", "de", "Familie ist [MASK] in meinem Leben", "wichtig", "unwichtig"),
            _probe("2", "de", "Wichtig ist mir [MASK]", "wichtig", "egal"),  # answer in template
            _probe("3", "de", "Das ist [MASK]", "gut", "schlecht", direction=None),  # no direction
            _probe("1", "fa", "خانواده در زندگی من [MASK] است", "مهم", "بی اهمیت"),
            _probe("3", "fa", "این [MASK] است", "خوب", "بد"),
        ],
    )
    report = check_probes(str(path))
    kinds = Counter((d.kind, d.lang, d.probe_id) for d in report.defects)
    assert kinds == {
        ("answer_in_template", "de", "2"): 1,
        ("no_direction", "de", "3"): 1,
        ("missing_in_lang", "fa", "2"): 1,
    }
    assert report.ok  # all warnings
    missing = next(d for d in report.defects if d.kind == "missing_in_lang")
    assert "exists in de but not in fa" in missing.message
    # with one language, nothing can be missing
    assert not [d for d in check_probes(str(path), langs="fa").defects if d.kind == "missing_in_lang"]


class CharTokenizer:
    """One token per 3 characters (leading space included); records what it was asked to tokenize."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, texts: list[str], add_special_tokens: bool = True) -> dict:
        assert add_special_tokens is False
        self.seen += texts
        return {"input_ids": [list(range(-(-len(t) // 3))) for t in texts]}


def test_too_many_tokens_tokenizes_answers_in_context(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "t.jsonl",
        [
            _probe("1", "tr", "Bu [MASK]dir", "iyi", "kötü"),  # " iyi" = 4 chars -> 2 tokens; " kötü" -> 2
            # slot glued to the word before: no leading space; "setuju" -> 2 tokens, "tidak setuju" -> 4
            _probe("2", "ms", "Saya ber[MASK] bahawa", "setuju", "tidak setuju"),
        ],
    )
    tok = CharTokenizer()
    report = check_probes(str(path), tokenizer=tok, max_tokens=2)
    flagged = [(d.probe_id, d.message) for d in report.defects if d.kind == "too_many_tokens"]
    assert flagged == [("2", "answer 'tidak setuju' is 4 tokens (limit 2)")]
    assert set(tok.seen) == {" iyi", " kötü", "setuju", "tidak setuju"}
    assert report.max_tokens == 2
    assert check_probes(str(path)).max_tokens is None  # no tokenizer, no token rule
    with pytest.raises(ConfigError, match="at least 1"):
        check_probe_set(load_jsonl(path), tokenizer=tok, max_tokens=0)


def _builtin(name: str) -> Path:
    root = Path(str(resources.files("valueshift") / "resources" / "probes" / name))
    if not root.is_dir() or not any(root.glob("*.jsonl")):
        pytest.skip(f"builtin probe set {name} not written yet ({root} has no *.jsonl)")
    return root


@pytest.mark.parametrize("name", ["builtin-wvs", "builtin-hofstede"])
def test_builtin_sets_are_clean(name: str) -> None:
    _builtin(name)
    report = check_probes(name)
    assert report.defects == [], "\n".join(str(d) for d in report.defects[:20])


def test_cli_check_exit_codes_and_json(shared_data: Path, tmp_path: Path, capsys) -> None:
    arora = f"arora-wvs:{shared_data / 'arora-value-probes' / 'wvs'}"
    with pytest.raises(SystemExit) as exc:
        main(["probes", "check", arora, "--langs", "sr,de", "--format", "json"])
    assert exc.value.code == 2
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["n_errors"] == 4 and data["langs"] == ["sr", "de"]
    clean = _jsonl(tmp_path / "c.jsonl", [_probe("1", "de", "Das ist [MASK]", "gut", "schlecht")])
    with pytest.raises(SystemExit) as exc:
        main(["probes", "check", str(clean)])
    assert exc.value.code in (0, None)
    assert "no errors" in capsys.readouterr().out
    warn = _jsonl(tmp_path / "w.jsonl", [_probe("1", "de", "Das ist [MASK]", "gut", "schlecht", direction=None)])
    with pytest.raises(SystemExit) as exc:
        main(["probes", "check", str(warn), "--fail-on", "warning"])
    assert exc.value.code == 2


def test_cli_table_and_list(shared_data: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "probes",
                "check",
                f"arora-wvs:{shared_data / 'arora-value-probes'}",
                "--langs",
                "bn",
                "--limit",
                "1",
            ]
        )
    assert exc.value.code == 2
    out = capsys.readouterr().out
    assert "110b" in out and "no_mask" in out and "errors found" in out
    with pytest.raises(SystemExit) as exc:
        main(["probes", "list"])
    assert exc.value.code in (0, None)
    assert "probe sets" in capsys.readouterr().out


def test_cli_unknown_spec_is_one_line_error(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["probes", "check", "no-such-set"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.startswith("error: unknown probe spec")


def test_too_many_tokens_with_a_real_tokenizer(tmp_path: Path) -> None:
    models = pytest.importorskip("valueshift.models")
    if not hasattr(models, "tiny_model_path"):
        pytest.skip("valueshift.models has no tiny_model_path yet")
    model_dir = models.tiny_model_path()
    path = _jsonl(tmp_path / "t.jsonl", [_probe("1", "de", "Familie ist [MASK]", "wichtig", "völlig unwichtig")])
    report = check_probes(str(path), model=str(model_dir), max_tokens=1)
    tok = models.load_model(str(model_dir)).tokenizer
    expected = {a: len(tok(" " + a, add_special_tokens=False)["input_ids"]) for a in ("wichtig", "völlig unwichtig")}
    flagged = {d.message.split("'")[1] for d in report.defects if d.kind == "too_many_tokens"}
    assert flagged == {a for a, n in expected.items() if n > 1}
    assert flagged  # a two-word answer is more than one token in any vocabulary
    assert report.model == str(model_dir)
