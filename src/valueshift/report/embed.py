"""What the template receives: figures as inline SVG (or PNG data URIs) and tables as rows of display cells.

Nothing here writes HTML: a figure becomes SVG markup produced by matplotlib (safe to embed as it is) and a
table becomes plain strings that the template escapes. Missing values (None, NaN, NA) are shown as an en dash
and sort after every number.
"""

from __future__ import annotations

import base64
import io
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure

__all__ = ["Cell", "Embedded", "Table", "embed_figure", "fmt", "make_table"]

# An inline SVG above this size (scatter plots with thousands of points) is embedded as a PNG instead.
MAX_SVG_BYTES = 400_000
PNG_DPI = 110
MISSING = "–"
_ids = itertools.count()
_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)


@dataclass(frozen=True)
class Embedded:
    """One figure: ``svg`` markup or a ``png`` data URI, with its alt text and caption."""

    alt: str
    caption: str
    svg: Markup | None = None
    png: str | None = None
    kind: str = "figure"

    @property
    def size(self) -> int:
        return len(self.svg or "") + len(self.png or "")


@dataclass(frozen=True)
class Cell:
    """A displayed value and the key it sorts by (a float, a string, or None = missing)."""

    text: str
    sort: str
    numeric: bool
    title: str = ""


@dataclass
class Table:
    """A sortable, filterable table; ``note`` says what was left out."""

    id: str
    caption: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""
    numeric: list[bool] = field(default_factory=list)
    kind: str = "table"


def embed_figure(fig: Figure | None, alt: str, caption: str = "") -> Embedded | None:
    """Render ``fig`` as inline SVG (text kept as text, ids salted so several SVGs can share a page)."""
    if fig is None:
        return None
    buf = io.StringIO()
    salt = f"vsfig{next(_ids)}"
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg")
    svg = _PROLOG.sub("", buf.getvalue(), count=1)
    if len(svg) <= MAX_SVG_BYTES:
        # natural size (width/height in pt) kept; CSS max-width scales a wide figure down through its viewBox
        return Embedded(alt=alt, caption=caption, svg=Markup(svg))
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=PNG_DPI)
    uri = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")
    return Embedded(alt=alt, caption=caption, png=uri)


def _missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    return isinstance(x, float | np.floating) and math.isnan(float(x))


def fmt(x: Any, digits: int = 3) -> str:
    """A short display string: floats to ``digits`` significant decimals, missing values as an en dash."""
    if _missing(x):
        return MISSING
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, int | np.integer):
        return str(int(x))
    if isinstance(x, float | np.floating):
        v = float(x)
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        if v == int(v) and abs(v) < 1e6 and digits >= 3 and abs(v) >= 1:
            return str(int(v))
        return f"{v:.{digits}f}" if 1e-3 <= abs(v) < 1e4 else f"{v:.{digits}g}"
    if isinstance(x, list | tuple | np.ndarray):
        return ", ".join(fmt(v, digits) for v in x)
    return str(x)


def _cell(x: Any, limit: int) -> Cell:
    if _missing(x):
        return Cell(MISSING, "", False)
    if isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool | np.bool_):
        return Cell(fmt(x), repr(float(x)), True)
    text = fmt(x)
    if len(text) > limit:
        return Cell(text[: limit - 1] + "…", text.lower(), False, title=text)
    return Cell(text, text.lower(), False)


def make_table(
    df: pd.DataFrame | None,
    caption: str,
    columns: Sequence[str] | None = None,
    *,
    max_rows: int = 1000,
    text_limit: int = 160,
) -> Table | None:
    """A display table of ``df`` (``columns`` that exist, in that order); None when there are no rows.

    At most ``max_rows`` rows are shown (the note says how many were left out, so the page stays small).
    """
    if df is None or df.empty:
        return None
    cols = [c for c in columns if c in df.columns] if columns is not None else list(map(str, df.columns))
    if not cols:
        return None
    shown = df[cols].head(max_rows)
    rows = [[_cell(v, text_limit) for v in rec] for rec in shown.itertuples(index=False, name=None)]
    numeric = [bool(rows) and all(r[i].numeric or not r[i].sort for r in rows) for i in range(len(cols))]
    note = f"first {max_rows} of {len(df)} rows shown" if len(df) > max_rows else ""
    return Table(id=f"t{next(_ids)}", caption=caption, columns=cols, rows=rows, note=note, numeric=numeric)
