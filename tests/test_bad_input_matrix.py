"""Bad input through the real CLI: every case exits 2 with one ``error:`` line naming what is wrong, and writes
nothing (no ``--out``, no change to the files next to it).

Each case builds its inputs in a fresh folder, runs ``valueshift ...`` in-process, and compares the folder before
and after. Model cases derive broken directories from the session's tiny mT5; nothing here needs a hub or
../shared (the one case that reads the shared Arora folder skips without it).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from valueshift.cli import exit_code

SHARED_ARORA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arora-value-probes"
GOOD = {"probe_id": "1", "lang": "de", "template": "Das ist [MASK].", "answer_pos": "gut", "answer_neg": "schlecht"}
ARORA_HEADER = "\t0\t1\t2\t3\n"


@dataclass(frozen=True)
class Case:
    """``setup(folder, model)`` writes the inputs and returns the CLI arguments (``OUT`` is replaced by the
    output path); ``expect`` are substrings of the one error line."""

    setup: Callable[[Path, Path], list[str]]
    expect: tuple[str, ...]


def _jsonl(*lines: str | bytes, name: str = "p.jsonl", bom: bool = False) -> Callable[[Path, Path], list[str]]:
    def setup(d: Path, model: Path) -> list[str]:
        data = b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines)
        (d / name).write_bytes(b"\xef\xbb\xbf" + data if bom else data)
        return ["probe", "--model", str(model), "--probes", str(d / name), "--out", "OUT"]

    return setup


def _rec(**fields: object) -> str:
    return json.dumps({**GOOD, **fields})


def _arora(kind: str, rows: str | None, header: str = ARORA_HEADER) -> Callable[[Path, Path], list[str]]:
    def setup(d: Path, model: Path) -> list[str]:
        (d / "ar").mkdir()
        (d / "ar" / "de.csv").write_text("" if rows is None else header + rows, encoding="utf-8")
        return ["probe", "--model", str(model), "--probes", f"arora-{kind}:{d / 'ar'}", "--out", "OUT"]

    return setup


def _probe_args(probes: str, *extra: str, model: str | None = None) -> Callable[[Path, Path], list[str]]:
    def setup(d: Path, m: Path) -> list[str]:
        model_arg = str(m) if model is None else model.format(d=d)
        return ["probe", "--model", model_arg, "--probes", probes.format(d=d), *extra, "--out", "OUT"]

    return setup


def _model(break_it: Callable[[Path], object]) -> Callable[[Path, Path], list[str]]:
    def setup(d: Path, model: Path) -> list[str]:
        bad = d / "model"
        shutil.copytree(model, bad)
        break_it(bad)
        return ["probe", "--model", str(bad), "--probes", "builtin-wvs", "--langs", "de", "--out", "OUT"]

    return setup


def _keep_only(*names: str) -> Callable[[Path], None]:
    def break_it(m: Path) -> None:
        for f in m.iterdir():
            if f.name not in names:
                f.unlink()

    return break_it


def _truncate(m: Path) -> None:
    data = (m / "model.safetensors").read_bytes()
    (m / "model.safetensors").write_bytes(data[: len(data) // 3])


def _pickle_only(m: Path) -> None:
    (m / "model.safetensors").rename(m / "pytorch_model.bin")  # never opened: refused by name


def _edit_config(**changes: object) -> Callable[[Path], None]:
    def break_it(m: Path) -> None:
        config = json.loads((m / "config.json").read_text())
        (m / "config.json").write_text(json.dumps({**config, **changes}))

    return break_it


def _corpus(files: dict[str, bytes] | None, langs: str = "de,fa") -> Callable[[Path, Path], list[str]]:
    def setup(d: Path, model: Path) -> list[str]:
        if files is not None:
            (d / "corpus").mkdir()
            for name, data in files.items():
                (d / "corpus" / name).write_bytes(data)
        return ["finetune", "--model", str(model), "--corpus", f"textdir:{d / 'corpus'}", "--langs", langs,
                "--size", "2", "--strategy", "mono", "--out", "OUT"]  # fmt: skip

    return setup


def _wvs(text: str | None) -> Callable[[Path, Path], list[str]]:
    def setup(d: Path, model: Path) -> list[str]:
        if text is not None:
            (d / "wvs.csv").write_text(text, encoding="utf-8")
        return ["human", "import-wvs", str(d / "wvs.csv"), "--out", "OUT"]

    return setup


def _check(lines: str) -> Callable[[Path, Path], list[str]]:
    def setup(d: Path, model: Path) -> list[str]:
        (d / "p.jsonl").write_text(lines, encoding="utf-8")
        return ["probes", "check", str(d / "p.jsonl")]

    return setup


THREE = b"eins\nzwei\ndrei\n"
CASES: dict[str, Case] = {
    # JSONL probe files: each holds one bad line, so nothing is left to score
    "jsonl-empty": Case(_jsonl(), ("p.jsonl", "no valid probe")),
    "jsonl-only-comments": Case(_jsonl("// nothing", ""), ("p.jsonl", "no valid probe")),
    "jsonl-bom-then-bad-field": Case(_jsonl(_rec(template_id="x"), bom=True), ("p.jsonl:1", "template_id")),
    "jsonl-bad-json": Case(_jsonl('{"probe_id": "1", "lang": '), ("p.jsonl:1", "invalid JSON")),
    "jsonl-not-object": Case(_jsonl("[1, 2]"), ("p.jsonl:1", "JSON object")),
    "jsonl-deep-nesting": Case(_jsonl("[" * 100_000), ("p.jsonl:1", "invalid JSON")),
    "jsonl-list-template": Case(_jsonl(_rec(template=["Das ist [MASK]."])), ("p.jsonl:1", "template", "list")),
    "jsonl-dict-answer": Case(_jsonl(_rec(answer_pos={"a": 1})), ("p.jsonl:1", "answer_pos", "dict")),
    "jsonl-number-answer": Case(_jsonl(_rec(answer_neg=3)), ("p.jsonl:1", "answer_neg")),
    "jsonl-template-id-str": Case(_jsonl(_rec(template_id="x")), ("p.jsonl:1", "template_id")),
    "jsonl-template-id-float": Case(_jsonl(_rec(template_id=1.7)), ("p.jsonl:1", "template_id", "1.7")),
    "jsonl-template-id-negative": Case(_jsonl(_rec(template_id=-1)), ("p.jsonl:1", "template_id")),
    "jsonl-template-id-bool": Case(_jsonl(_rec(template_id=True)), ("p.jsonl:1", "template_id")),
    "jsonl-direction-2": Case(_jsonl(_rec(direction=2)), ("p.jsonl:1", "direction")),
    "jsonl-huge-template": Case(
        _jsonl(_rec(template="x" * 10_000_000 + " [MASK]")), ("p.jsonl:1", "template", "limit")
    ),
    "jsonl-long-answer": Case(_jsonl(_rec(answer_pos="y" * 500)), ("p.jsonl:1", "answer_pos", "limit")),
    "jsonl-missing-fields": Case(_jsonl('{"lang": "de"}'), ("p.jsonl:1", "missing")),
    "jsonl-unknown-lang": Case(_jsonl(_rec(lang="xx")), ("p.jsonl:1", "unknown language")),
    "jsonl-not-utf8": Case(_jsonl(_rec(), b'{"template": "\xff"}'), ("p.jsonl:2", "UTF-8")),
    # Arora TSV folders
    "arora-stray-quote": Case(_arora("wvs", '0\t1\t"Das ist [MASK]\tgut\tschlecht\n'), ("de.csv:2", "quote")),
    "arora-empty-file": Case(_arora("wvs", None), ("de.csv:1", "empty")),
    "arora-bad-header": Case(_arora("wvs", "0\t1\tx [MASK]\ty\tz\n", header="a\tb\n"), ("de.csv:1", "header")),
    "arora-wrong-field-count": Case(_arora("wvs", "0\t1\tDas ist [MASK]\tgut\n"), ("de.csv:2", "fields")),
    "arora-hofstede-given-wvs": Case(
        _arora("hofstede", "".join(f"{i}\t{i + 20}\tS{i} [MASK]\ta\tb\n" for i in range(6))), ("de.csv", "VSM")
    ),
    "arora-wvs-given-hofstede": Case(
        _arora("wvs", "".join(f"{i}\t{i}\tS{i} [MASK]\ta\tb\n" for i in range(4))), ("de.csv", "arora-hofstede")
    ),
    "arora-missing-folder": Case(_probe_args("arora-wvs:{d}/nowhere"), ("nowhere", "no such directory")),
    # probe specs
    "spec-unknown-builtin": Case(_probe_args("builtin-wsv"), ("builtin-wsv", "Did you mean", "builtin-wvs")),
    "spec-missing-jsonl": Case(_probe_args("{d}/missing.jsonl"), ("missing.jsonl", "no such probe file")),
    # language selections
    "langs-empty": Case(_probe_args("builtin-wvs", "--langs", ""), ("langs",)),
    "langs-comma": Case(_probe_args("builtin-wvs", "--langs", ","), ("langs",)),
    "langs-spaces": Case(_probe_args("builtin-wvs", "--langs", " , "), ("langs",)),
    "langs-unknown": Case(_probe_args("builtin-wvs", "--langs", "de,xx"), ("--langs", "xx")),
    # model directories
    "model-missing-dir": Case(
        _probe_args("builtin-wvs", "--langs", "de", model="/nonexistent/model"),
        ("/nonexistent/model", "no such model directory"),
    ),
    "model-config-only": Case(_model(_keep_only("config.json")), ("model", "no model.safetensors")),
    "model-no-tokenizer": Case(_model(_keep_only("config.json", "model.safetensors")), ("model", "no tokenizer files")),
    "model-truncated-weights": Case(_model(_truncate), ("model.safetensors", "truncated")),
    "model-pickle-only": Case(_model(_pickle_only), ("pytorch_model.bin", "safetensors")),
    "model-bad-config-json": Case(
        _model(lambda m: (m / "config.json").write_text('{"model_type": "mt5",\n')), ("config.json:2", "JSON")
    ),
    "model-config-not-object": Case(
        _model(lambda m: (m / "config.json").write_text("[]")), ("config.json", "JSON object")
    ),
    "model-unknown-type": Case(_model(_edit_config(model_type="nosuchmodel")), ("config.json", "nosuchmodel")),
    "model-auto-map-untrusted": Case(
        _model(_edit_config(auto_map={"AutoConfig": "x.Y"})), ("config.json", "auto_map", "--trust-remote-code")
    ),
    "model-foreign-tokenizer": Case(_model(_edit_config(vocab_size=64_000)), ("model", "embedding rows")),
    "model-is-a-file": Case(_probe_args("builtin-wvs", "--langs", "de", model="{d}/p.jsonl"), ("p.jsonl", "is a file")),
    # corpora (finetune validates the corpus before the model)
    "corpus-missing": Case(_corpus(None), ("corpus", "no such directory")),
    "corpus-misaligned": Case(_corpus({"de.txt": THREE, "fa.txt": b"a\nb\n"}), ("line counts differ",)),
    "corpus-empty-lang-file": Case(_corpus({"de.txt": b"", "fa.txt": THREE}), ("de.txt", "0")),
    "corpus-empty-line": Case(_corpus({"de.txt": b"eins\n\ndrei\n", "fa.txt": THREE}), ("de.txt:2", "empty")),
    "corpus-not-utf8": Case(_corpus({"de.txt": b"eins\n\xff\ndrei\n", "fa.txt": THREE}), ("de.txt:2", "UTF-8")),
    "corpus-lang-missing": Case(_corpus({"de.txt": THREE, "fa.txt": THREE}, "de,ko"), ("has no ko",)),
    "corpus-langs-empty": Case(_corpus({"de.txt": THREE, "fa.txt": THREE}, ""), ("--langs",)),
    # WVS import
    "wvs-missing-file": Case(_wvs(None), ("wvs.csv", "no such file")),
    "wvs-empty-file": Case(_wvs(""), ("wvs.csv:1", "empty")),
    "wvs-missing-column": Case(_wvs("B_COUNTRY_ALPHA,Q1\nDEU,1\n"), ("wvs.csv:1", "W_WEIGHT")),
    "wvs-bad-weight": Case(_wvs("B_COUNTRY_ALPHA,W_WEIGHT,Q1\nDEU,1,2\nDEU,heavy,3\n"), ("wvs.csv:3", "W_WEIGHT")),
    # probes check
    "check-empty-file": Case(_check(""), ("p.jsonl", "no probes")),
}


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(folder.rglob("*"))
    }


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = exit_code(args)
    return code, capsys.readouterr().err


def _assert_one_error(code: int, err: str, expect: tuple[str, ...]) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    for part in expect:
        assert part in errors[0], (part, errors[0])


@pytest.fixture(scope="module")
def model(tiny_seq2seq: Path) -> Path:
    return tiny_seq2seq


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_exits_2_with_one_error_and_writes_nothing(
    name: str, model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = CASES[name]
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "p.jsonl").touch()  # something next to the output that must survive unchanged
    args = case.setup(inputs, model)
    out = inputs / "out"
    args = [str(out) if a == "OUT" else a for a in args]
    before = _snapshot(inputs)
    code, err = _run(args, capsys)
    _assert_one_error(code, err, case.expect)
    assert not out.exists()
    assert _snapshot(inputs) == before


def test_arora_hofstede_refuses_the_shared_wvs_folder(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not (SHARED_ARORA / "wvs").is_dir():
        pytest.skip(f"Arora probes not found at {SHARED_ARORA}")
    out = tmp_path / "out"
    args = ["probe", "--model", str(model), "--probes", f"arora-hofstede:{SHARED_ARORA / 'wvs'}", "--out", str(out)]
    code, err = _run(args, capsys)
    _assert_one_error(code, err, ("wvs", "VSM", "arora-wvs"))
    assert not out.exists()


def test_import_wvs_second_file_failure_leaves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "wvs.csv"
    csv.write_text("B_COUNTRY_ALPHA,W_WEIGHT,Q1\nDEU,1,2\nIRN,1,3\n", encoding="utf-8")
    out = tmp_path / "means.parquet"
    out.mkdir()  # the second target cannot be written
    before = _snapshot(tmp_path)
    code, err = _run(["human", "import-wvs", str(csv), "--out", str(out)], capsys)
    _assert_one_error(code, err, ("means.parquet", "directory"))
    assert _snapshot(tmp_path) == before, "the distribution file must not appear without the means file"


# -- --out states, for every command that writes a directory ------------------------------------------------
def _writers(d: Path, model: Path) -> dict[str, list[str]]:
    (d / "base").mkdir()
    import pandas as pd

    pd.DataFrame({"lang": ["de"], "probe_id": ["1"], "value": [0.5]}).to_parquet(d / "base" / "probe_scores.parquet")
    return {
        "probe": ["probe", "--model", str(model), "--probes", "builtin-hofstede", "--langs", "de"],
        "finetune": [
            "finetune",
            "--model",
            str(model),
            "--corpus",
            "builtin:sample",
            "--langs",
            "de",
            "--size",
            "2",
            "--strategy",
            "multi",
        ],
        "analyze": ["analyze", "--base", str(d / "base"), "--tuned", str(d / "base")],
        "model tiny": ["model", "tiny"],
    }


OUT_STATES = {
    "a file": (lambda d: (d / "taken").write_text("mine") and d / "taken", ("taken",)),
    "under a file": (lambda d: (d / "taken").write_text("mine") and d / "taken" / "run", ("taken",)),
    "a user's folder": (
        lambda d: ((d / "thesis").mkdir(), (d / "thesis" / "ch1.tex").write_text("x")) and d / "thesis",
        ("thesis", "ch1.tex"),
    ),
    "a kernel folder": (lambda d: Path("/proc/valueshift-out"), ("/proc",)),
}


@pytest.mark.parametrize("overwrite", [False, True], ids=["plain", "overwrite"])
@pytest.mark.parametrize("state", list(OUT_STATES))
@pytest.mark.parametrize("command", ["probe", "finetune", "analyze", "model tiny"])
def test_out_states_are_refused_before_any_work(
    command: str, state: str, overwrite: bool, model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_out, expect = OUT_STATES[state]
    if state == "a kernel folder" and not Path("/proc").is_dir():
        pytest.skip("no /proc on this system")
    if command == "finetune" and state == "a user's folder":
        pytest.skip("finetune's --out is the parent of its run directories: a new sub-folder in it is fine")
    args = _writers(tmp_path, model)[command]
    out = make_out(tmp_path)
    before = _snapshot(tmp_path)
    code, err = _run([*args, "--out", str(out), *(["--overwrite"] if overwrite else [])], capsys)
    _assert_one_error(code, err, expect)
    assert _snapshot(tmp_path) == before  # the user's files untouched, nothing created
