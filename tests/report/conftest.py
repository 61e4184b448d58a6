"""Fixtures: one synthetic study on disk (probe runs, an analysis, attribution, claims) and its report."""

from __future__ import annotations

from pathlib import Path

import pytest
from _study import make_study

from valueshift.report import build_report


@pytest.fixture(scope="session")
def study_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_study(tmp_path_factory.mktemp("study"))


@pytest.fixture(scope="session")
def study_report(study_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(study_dir, tmp_path_factory.mktemp("report") / "report.html")
