"""LDS on the tiny model: retrain on random halves and correlate with summed attribution scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valueshift.attribution import attribute, validate
from valueshift.attribution.lds import subset_masks

from .test_end_to_end import planted_run  # noqa: F401  (module fixture)


def test_subset_masks_keep_half_of_the_keys() -> None:
    ex = pd.DataFrame({"lang": ["fa", "ko"] * 10, "unit_id": [str(i // 2) for i in range(20)]})
    masks = subset_masks(ex, 4, 0.5, seed=0)
    assert masks.shape == (4, 20) and (masks.sum(axis=1) == 10).all()
    assert np.array_equal(masks, subset_masks(ex, 4, 0.5, seed=0))


@pytest.mark.slow
def test_lds_on_planted_run(planted_run: tuple[Path, Path], tmp_path: Path) -> None:  # noqa: F811
    run, probes = planted_run
    attr = attribute(run, str(probes), tmp_path / "attr", langs="en", proj_dim=512, top_k=8, device="cpu")
    out = validate(attr, tmp_path / "lds", subsets=8, device="cpu")
    lds = pd.read_parquet(out / "lds.parquet")
    summary = lds[lds.probe_id == "all"].set_index("method")
    assert set(summary.index) == {"trak", "tracin", "cosine", "lexical"}
    assert summary.lds.between(-1, 1).all()
    print(summary)
