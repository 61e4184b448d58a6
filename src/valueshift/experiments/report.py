"""The ``report`` node: figures of every analysis, ``report.md`` (claims and where every table lies) and the
self-contained ``report.html`` of the whole grid (:func:`valueshift.report.build_report`).

Lifecycle: claim the run directory -> :func:`valueshift.report.write_figures` for each per-condition analysis
(recorded as that analysis's outputs) -> ``report.md`` -> ``report.html`` over the grid's output folder ->
manifest ``done``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["run_report"]


def _fmt(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def run_report(node: Any, deps: dict[str, Path], job: dict[str, Any], *, overwrite: bool = False) -> None:
    """Write the grid's report into ``node.out``."""
    from valueshift.runs import RunDir, atomic_path, running

    p = node.params
    run = RunDir.open(node.out, **job, overwrite=overwrite)
    with running(run):
        if p["figures"]:
            from valueshift.report import write_figures

            for aid in p["analyses"]:
                write_figures(deps[aid])
        claims = pd.read_parquet(deps["claims"] / "claims.parquet")
        cols = ["claim", "subject", "estimate", "ci_low", "ci_high", "verdict", "n"]
        lines = [f"# {p['name']}", "", p["description"], "", "## Claims", "",
                 "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]  # fmt: skip
        lines += ["| " + " | ".join(_fmt(r[c]) for c in cols) + " |" for r in claims.to_dict("records")]
        lines += ["", "## Tables", "", f"- claims: `{deps['claims'] / 'claims.parquet'}`"]
        lines += [f"- {aid}: `{deps[aid]}`" + (" (figures/)" if p["figures"] else "") for aid in p["analyses"]]
        run.own("report.md")
        with atomic_path(run.path / "report.md") as tmp:
            tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        from valueshift.report import build_report

        run.own("report.html")
        build_report(Path(node.out).parent, run.path / "report.html", title=p["name"])
        run.finish()
