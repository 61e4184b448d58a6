"""import-wvs writes its two tables together or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from valueshift.reference.errors import ReferenceDataError
from valueshift.reference.wvs import WvsTables, import_wvs_tables, write_wvs_tables


@pytest.fixture
def tables(tmp_path: Path) -> WvsTables:
    csv = tmp_path / "wvs.csv"
    csv.write_text("B_COUNTRY_ALPHA,W_WEIGHT,Q1\nDEU,1,2\nIRN,2,3\n", encoding="utf-8")
    return import_wvs_tables(csv)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_both_tables_are_written(tables: WvsTables, tmp_path: Path) -> None:
    out = tmp_path / "o"
    write_wvs_tables(tables, out / "m.parquet", out / "m_distribution.parquet")
    assert sorted(p.name for p in out.iterdir()) == ["m.parquet", "m_distribution.parquet"]
    assert len(pd.read_parquet(out / "m.parquet")) == 2


def test_failure_on_the_second_table_leaves_the_old_files(
    tables: WvsTables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "m.parquet").write_bytes(b"old means")
    (out / "m_distribution.parquet").write_bytes(b"old shares")
    before = _files(out)
    real = pd.DataFrame.to_parquet
    calls: list[int] = []

    def flaky(self: pd.DataFrame, path: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(path))
        real(self, path, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", flaky)
    with pytest.raises(ReferenceDataError, match="nothing was written"):
        write_wvs_tables(tables, out / "m.parquet", out / "m_distribution.parquet")
    assert _files(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["m.parquet", "m_distribution.parquet"], "no staging left"


def test_failure_on_the_second_rename_restores_the_first(
    tables: WvsTables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "m_distribution.parquet").write_bytes(b"old shares")
    real = os.replace

    def flaky(src: object, dst: object) -> None:
        if Path(str(dst)).name == "m.parquet":
            raise PermissionError(13, "Permission denied", str(dst))
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(ReferenceDataError, match=r"m\.parquet"):
        write_wvs_tables(tables, out / "m.parquet", out / "m_distribution.parquet")
    assert _files(out) == {"m_distribution.parquet": b"old shares"}


def test_a_directory_target_is_refused_before_writing(tables: WvsTables, tmp_path: Path) -> None:
    (tmp_path / "m.parquet").mkdir()
    with pytest.raises(ReferenceDataError, match="is a directory"):
        write_wvs_tables(tables, tmp_path / "m.parquet", tmp_path / "m_distribution.parquet")
    assert not (tmp_path / "m_distribution.parquet").exists()
